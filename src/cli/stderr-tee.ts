import { once } from 'node:events';

/** What `cordon run` keeps of a command's stderr for the denial report: the first and the last MiB. */
export const KEEP_BYTES = 2 * 1024 * 1024;

/** Below this budget nothing useful fits: do not capture at all. */
const MIN_KEEP = 1024;

/** An execa transform (see execa's `stderr: {transform, final, binary}`), typed only as far as we use it. */
export interface TeeTransform {
  transform(chunk: unknown): AsyncGenerator<Uint8Array, void, undefined>;
  final(): AsyncGenerator<Uint8Array, void, undefined>;
  binary: true;
}

/**
 * How many bytes to keep, given the policy's output cap (`limits.maxOutputBytes`, which
 * becomes execa's maxBuffer): staying under it matters, because execa ends a command whose
 * buffered output passes maxBuffer (its stderr pipe is closed: SIGPIPE). undefined: capture
 * nothing, the cap is too small to hold anything useful.
 */
export function keepBudget(maxOutputBytes: number | undefined): number | undefined {
  const budget = Math.min(KEEP_BYTES, maxOutputBytes === undefined ? Infinity : Math.floor(maxOutputBytes / 2));
  return budget >= MIN_KEEP ? budget : undefined;
}

/**
 * Copies every chunk of the command's stderr to `target` as it arrives (with backpressure),
 * and yields to execa, which buffers it as `result.stderr`, only the first `keep / 2` bytes,
 * then in `final` a marker and the last `keep / 2` bytes. Why not execa's own
 * `stderr: ['inherit', 'pipe']`: that buffers everything, and past maxBuffer execa closes the
 * pipe and the command dies of SIGPIPE; `cordon run` must never end a command for being
 * talkative. The buffered part is bounded, so maxBuffer is never reached (see keepBudget).
 */
export function stderrTee(target: NodeJS.WritableStream, keep: number): TeeTransform {
  const headLimit = Math.floor(keep / 2) - 64;
  const tailLimit = Math.floor(keep / 2);
  let headBytes = 0;
  const tail: Uint8Array[] = [];
  let tailBytes = 0;
  let skipped = 0;
  return {
    binary: true,
    async *transform(value) {
      // binary: true, so execa hands over the bytes as read, never split into lines or decoded.
      let chunk = value as Uint8Array;
      if (!target.write(chunk)) await once(target, 'drain');
      const room = headLimit - headBytes;
      if (room > 0) {
        const head = chunk.subarray(0, room);
        headBytes += head.length;
        yield head;
        chunk = chunk.subarray(head.length);
      }
      if (chunk.length === 0) return;
      tail.push(chunk);
      tailBytes += chunk.length;
      while (tailBytes - tail[0]!.length >= tailLimit) {
        const dropped = tail.shift()!;
        tailBytes -= dropped.length;
        skipped += dropped.length;
      }
    },
    async *final() {
      const joined = Buffer.concat(tail);
      const cut = Math.max(0, joined.length - tailLimit);
      skipped += cut;
      if (skipped > 0) yield Buffer.from(`\n[cordon: ${skipped} bytes of stderr not kept]\n`);
      if (joined.length > cut) yield joined.subarray(cut);
    },
  };
}
