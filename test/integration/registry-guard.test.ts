import crypto from 'node:crypto';
import fs, { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SandboxSetupError } from '../../src/errors.js';
import { placeholderRegistry } from '../../src/backends/linux/placeholder-registry.js';
import { placeholderRegistryBase } from '../../src/backends/linux/placeholders.js';
import { LinuxBackend } from '../../src/backends/linux/backend.js';
import { closeRuntime, createRuntime, SandboxRuntime } from '../../src/runtime.js';
import { describeSandbox, run, scratchTrees } from './harness.js';

/**
 * The placeholder registry ($TMPDIR/cordon-$UID) says what the harness deletes when a command
 * ends. A command that can rewrite it makes the harness delete files anywhere (point
 * `<root>/users` at a directory: release() removes every file there). It is hidden by the
 * private /tmp only; these cases expose it (a writable /tmp, a harness $TMPDIR inside the
 * workspace) and check on the host that the command can no longer reach it. Each first runs
 * the attack with the mask switched off (a LinuxHost without the host fact) to show it reaches
 * the registry there, and that the registry code then refuses what it finds (second line).
 */

const tree = scratchTrees();
const registry = placeholderRegistry(fs, path, crypto, (message, hint) => new SandboxSetupError(message, '', { hint }));

/** A runtime whose plans lack the host fact: the registry is not masked (the weakened case). */
class Unmasked extends LinuxBackend {
  override probe(env: NodeJS.ProcessEnv, untrusted: readonly string[]) {
    return { ...super.probe(env, untrusted), hostStateDirs: [] };
  }
}

const savedTmp = process.env.TMPDIR;
afterEach(() => {
  process.env.TMPDIR = savedTmp;
  if (savedTmp === undefined) delete process.env.TMPDIR;
});

/** Replaces `<root dir>/users` with a link to the victim; prints `planted` if that worked. */
const ATTACK = 'd="$1"; ls "$d" >/dev/null && mv "$d/users" "$d/users.old" && ln -s "$2" "$d/users" && echo planted';

describeSandbox('the placeholder registry is out of the command reach', () => {
  for (const how of ['write.allow: [/tmp]', 'harness TMPDIR inside the workspace'] as const) {
    it(`${how}: unmasked the command rewrites it (and the registry refuses it); masked it cannot`, async () => {
      const t = tree({ 'ws/README': 'hi', 'victim/id_ed25519': 'PRECIOUS KEY', 'victim/notes.txt': 'PRECIOUS' });
      const ws = t.path('ws');
      const victim = t.path('victim');
      let options: { policy?: object; env?: Record<string, string> } = { policy: { write: { allow: ['/tmp'] } } };
      if (how !== 'write.allow: [/tmp]') {
        mkdirSync(path.join(ws, '.tmp'));
        process.env.TMPDIR = path.join(ws, '.tmp'); // the harness's os.tmpdir() ...
        options = { env: { TMPDIR: '/tmp' } }; // ... while the command's own tmp is the usual one
      }
      const dir = registry.dirFor(placeholderRegistryBase(), ws);
      try {
        // Weakened: no mask. The command reaches the registry and plants the link.
        const unmasked = new SandboxRuntime({ backend: new Unmasked({ placeholders: { reaper: false } }) });
        const weak = await run('sh', ['-c', ATTACK, 'sh', dir, victim], { workspace: ws, runtime: unmasked, ...options });
        expect(weak.stdout).toContain('planted');
        expect(lstatSync(path.join(dir, 'users')).isSymbolicLink()).toBe(true);
        // Second line: the release that follows refuses it and deletes nothing.
        expect(() => registry.release(dir, () => true)).toThrow(expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED' }));
        closeRuntime(unmasked);
        expect(readdirSync(victim).sort()).toEqual(['id_ed25519', 'notes.txt']);
        rmSync(dir, { recursive: true, force: true }); // the link, never its target
        for (const p of readdirSync(ws)) if (!['README', '.tmp'].includes(p)) rmSync(path.join(ws, p), { recursive: true, force: true }); // the refused release's placeholders

        // Fixed: the registry is an empty read-only tmpfs in the sandbox.
        const runtime = createRuntime({ placeholders: { reaper: false } });
        const r = await run('sh', ['-c', `${ATTACK}; ls -A "$(dirname "$(dirname "$1")")"; touch "$(dirname "$(dirname "$1")")/x" || echo read-only`, 'sh', dir, victim], {
          workspace: ws,
          runtime,
          ...options,
        });
        expect(r.stdout).not.toContain('planted');
        expect(r.stdout.trim()).toBe('read-only'); // the base: empty, unwritable
        expect(lstatSync(path.join(dir, 'users')).isDirectory()).toBe(true);
        expect(existsSync(path.join(ws, '.envrc'))).toBe(true); // placeholders held ...
        closeRuntime(runtime);
        expect(existsSync(path.join(ws, '.envrc'))).toBe(false); // ... and released normally
        expect(readdirSync(victim).sort()).toEqual(['id_ed25519', 'notes.txt']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
