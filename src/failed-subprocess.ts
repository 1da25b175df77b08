import { PassThrough } from 'node:stream';
import type { ResultPromise } from 'execa';

/**
 * What sandboxedSpawn() returns when the sandbox cannot even be planned: nothing was
 * spawned, the promise rejects with the CordonError, and the stream and kill members exist
 * (ended, inert) so code written for a live subprocess fails through its promise, not
 * through a TypeError on `.stdout`.
 */
export function failedSubprocess(error: unknown): ResultPromise {
  const ended = () => {
    const stream = new PassThrough();
    stream.end();
    return stream;
  };
  const promise = Promise.reject(error);
  const stdout = ended();
  const stderr = ended();
  const stdin = ended();
  const members = {
    pid: undefined,
    stdin,
    stdout,
    stderr,
    stdio: [stdin, stdout, stderr],
    all: undefined,
    kill: () => false,
    then: promise.then.bind(promise),
    catch: promise.catch.bind(promise),
    finally: promise.finally.bind(promise),
  };
  return members as unknown as ResultPromise;
}
