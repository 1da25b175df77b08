// The decision model lives in src/ (cordon explain on macOS answers with it); tests use the same one.
export * from '../../src/backends/macos/model/decide.js';
