/**
 * The part of a command's captured output that denial inference reads. A failing tool prints
 * why at the end, and stderr can be megabytes (a build log, a test run): so only the last
 * `maxBytes` of each stream, and of those only the last `maxLines` lines, are looked at. That
 * bounds the cost per command whatever the command printed.
 */
export interface TailLimits {
  maxBytes: number;
  maxLines: number;
}

export const STDERR_LIMITS: TailLimits = { maxBytes: 64 * 1024, maxLines: 200 };
/** stdout holds errors only when the command merged them (`2>&1`, some CLIs): less of it. */
export const STDOUT_LIMITS: TailLimits = { maxBytes: 16 * 1024, maxLines: 100 };

/** The last lines of one captured stream: a string, bytes, or execa's `lines: true` array. Anything else (not captured) gives none. */
export function tailLines(stream: unknown, limits: TailLimits): string[] {
  let text: string;
  let cut = false;
  if (typeof stream === 'string') {
    cut = stream.length > limits.maxBytes;
    text = cut ? stream.slice(-limits.maxBytes) : stream;
  } else if (stream instanceof Uint8Array) {
    cut = stream.length > limits.maxBytes;
    text = Buffer.from(stream.buffer, stream.byteOffset + Math.max(0, stream.length - limits.maxBytes), Math.min(stream.length, limits.maxBytes)).toString('utf8');
  } else if (Array.isArray(stream)) {
    text = stream.slice(-limits.maxLines).filter((l): l is string => typeof l === 'string').join('\n');
  } else return [];
  const lines = text.split('\n');
  // The cut may have left half a line first: drop it unless it is all there was.
  if (cut && lines.length > 1) lines.shift();
  return lines.slice(-limits.maxLines).map(stripAnsi).filter((l) => l.trim() !== '');
}

/** npm, cargo and friends colour their errors; the colour codes sit between the words we match. */
function stripAnsi(line: string): string {
  return line.includes('\x1b') ? line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') : line;
}
