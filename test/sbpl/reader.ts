// The SBPL reader lives in src/ (the decision model behind cordon explain on macOS uses it).
export * from '../../src/backends/macos/model/reader.js';
