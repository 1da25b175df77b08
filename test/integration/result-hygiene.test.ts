import { realpathSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ExecaError, PolicyError, sandboxedSpawn } from '../../src/index.js';
import { describeSandbox, scratchTrees } from './harness.js';

/**
 * What a harness gets back describes the user's command, not cordon's launcher: a model shown
 * `result.command` must see `npm test`, not 900 characters of bwrap flags (or a whole Seatbelt
 * profile), and `cwd` must be where the command ran, not the launcher's `/`.
 */

const tree = scratchTrees();

describeSandbox('result hygiene', () => {
  it("command, escapedCommand and cwd are the caller's, on a result", async () => {
    const t = tree({ 'ws/sub/': '' });
    const r = await sandboxedSpawn('sh', ['-c', `echo "it's"; pwd`], { workspace: t.path('ws'), cwd: t.path('ws/sub') });
    expect(r.command).toBe(`sh -c echo "it's"; pwd`);
    expect(r.escapedCommand).toBe(String.raw`sh -c 'echo "it'\''s"; pwd'`);
    expect(r.cwd).toBe(realpathSync(t.path('ws/sub')));
    expect(r.stdout.split('\n')[1]).toBe(r.cwd);
    for (const text of [r.command, r.escapedCommand]) expect(text).not.toMatch(/bwrap|--ro-bind|sandbox-exec/);
  });

  it("a command's own failure is an ExecaError whose message names the caller's command", async () => {
    const t = tree({ 'ws/': '' });
    const error = await sandboxedSpawn('sh', ['-c', 'echo oops >&2; exit 3'], { workspace: t.path('ws') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExecaError);
    const e = error as ExecaError;
    expect(e.exitCode).toBe(3);
    expect(e.shortMessage).toBe("Command failed with exit code 3: sh -c 'echo oops >&2; exit 3'");
    expect(e.message).not.toMatch(/bwrap|--ro-bind/);
    expect(e.command).toBe('sh -c echo oops >&2; exit 3');
    expect(e.cwd).toBe(realpathSync(t.path('ws')));
  });

  it('control characters are escaped as execa escapes them', async () => {
    const t = tree({ 'ws/': '' });
    const r = await sandboxedSpawn('printf', ['a\nb\tc'], { workspace: t.path('ws') });
    expect(r.escapedCommand).toBe(String.raw`printf 'a\nb\tc'`);
  });

  it("cordon's own errors keep their class name in name and stack", async () => {
    const error = await sandboxedSpawn('true', [], { workspace: 'relative/path' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).name).toBe('PolicyError');
    expect((error as Error).stack?.split('\n')[0]).toMatch(/^PolicyError: /);
  });
});

describe('types follow the options, as execa', () => {
  it('stdout is a string by default and a Uint8Array with encoding: buffer (checked by tsc)', () => {
    type Default = Awaited<ReturnType<typeof sandboxedSpawn<{ workspace: string }>>>;
    type Buffered = Awaited<ReturnType<typeof sandboxedSpawn<{ workspace: string; encoding: 'buffer' }>>>;
    expectTypeOf<Default['stdout']>().toEqualTypeOf<string>();
    expectTypeOf<Buffered['stdout']>().toEqualTypeOf<Uint8Array>();
    // tsc fails the build if the generic is lost: a plain assignment, no cast.
    const take = (r: Default): string => r.stdout;
    expect(typeof take).toBe('function');
  });
});
