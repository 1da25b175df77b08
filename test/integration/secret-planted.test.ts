import { appendFileSync, existsSync, lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { closeRuntime, createRuntime, type SandboxRuntime } from '../../src/runtime.js';
import { SecretScanCache, type SecretScanRules } from '../../src/policy/secret-scan.js';
import { describeSandbox, scratchTrees, sh } from './harness.js';

const tree = scratchTrees();
const SECRET = 'PLANTED-SECRET-9c41';

/**
 * A runtime whose secret scan has one rule switched off: the configuration before the fix,
 * so each attack is first shown to work and the rule is shown to be what stops it.
 * (The runtime's cache is the scan's only injection point; nothing else ever weakens it.)
 */
function weakened(off: keyof SecretScanRules): SandboxRuntime {
  const runtime = createRuntime();
  Object.assign(runtime, { scanCache: new SecretScanCache({ [off]: false }) });
  return runtime;
}

describeSandbox('secrets planted ahead by a command (issue 7 items 4 and 8)', () => {
  it('a hard link planted before the user fills .env.local: readable without the fix, by no name with it', async () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const opts = { workspace: t.path('ws'), env: { HOME: t.path('home') } };
    const plant = await sh(': > .env.local && ln .env.local notes.txt', opts);
    expect(plant.exitCode).toBe(0);
    expect(lstatSync(t.path('ws/notes.txt')).nlink).toBe(2); // host: the command really made the link
    appendFileSync(t.path('ws/.env.local'), `API_KEY=${SECRET}\n`); // the user fills the file in place

    const weak = weakened('findOtherNames');
    const before = await sh('cat notes.txt', { ...opts, runtime: weak });
    closeRuntime(weak);
    expect(before.stdout).toContain(SECRET); // the attack works when other names are not searched

    const after = await sh('cat notes.txt 2>&1; cat .env.local 2>&1; cat /proc/self/root$PWD/notes.txt 2>&1; echo CONTROL-RAN', opts);
    expect(after.stdout).toContain('CONTROL-RAN');
    expect(after.stdout).toMatch(/notes\.txt: Permission denied/); // masked (/dev/null, nodev), not merely missing
    expect(after.stdout).not.toContain(SECRET);
  });

  it('a hard link whose other name is outside the workspace: readable without the fix, refused (nothing runs) with it', async () => {
    const t = tree({ 'ws/sub/': '', 'home/': '' });
    const env = { HOME: t.path('home') };
    // The command ran with the parent as workspace and planted the second name there.
    expect((await sh(': > sub/.env.local && ln sub/.env.local notes.txt', { workspace: t.path('ws'), env })).exitCode).toBe(0);
    appendFileSync(t.path('ws/sub/.env.local'), `API_KEY=${SECRET}\n`);

    const weak = weakened('findOtherNames');
    const before = await sh('cat ../notes.txt', { workspace: t.path('ws/sub'), env, runtime: weak });
    closeRuntime(weak);
    expect(before.stdout).toContain(SECRET);

    await expect(sh('touch ran-marker; cat ../notes.txt', { workspace: t.path('ws/sub'), env })).rejects.toMatchObject({ code: 'ERR_CORDON_SECRET_LINKED' });
    expect(existsSync(t.path('ws/sub/ran-marker'))).toBe(false); // host: the command never ran
  });

  it('a symlinked directory into node_modules: .env.local created through it is readable without the fix, masked with it', async () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const opts = { workspace: t.path('ws'), env: { HOME: t.path('home') } };
    expect((await sh('mkdir -p node_modules/.app && ln -s node_modules/.app app', opts)).exitCode).toBe(0);
    expect(lstatSync(t.path('ws/app')).isSymbolicLink()).toBe(true);
    writeFileSync(t.path('ws/app/.env.local'), `API_KEY=${SECRET}\n`); // the user, through the link

    const weak = weakened('followSymlinkedDirs');
    const before = await sh('cat app/.env.local', { ...opts, runtime: weak });
    closeRuntime(weak);
    expect(before.stdout).toContain(SECRET);

    const after = await sh('cat app/.env.local 2>&1; cat node_modules/.app/.env.local 2>&1; ls -a app; echo CONTROL-RAN', opts);
    expect(after.stdout).toContain('CONTROL-RAN');
    expect(after.stdout).toContain('.env.local'); // the name is still listed: masked, not hidden
    expect(after.stdout).toMatch(/app\/\.env\.local: Permission denied/); // the mask at the real path answers for the link's name
    expect(after.stdout).not.toContain(SECRET);
  });

  it('a dangling .env.cache link: locked every later command without the fix; runs with it, and masks the target once it exists', async () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const opts = { workspace: t.path('ws'), env: { HOME: t.path('home') } };
    // One link leads outside the workspace (into a directory that does not exist yet), one inside.
    expect((await sh('ln -s ../later/secret.env .env.cache && ln -s inside-target .env.x', opts)).exitCode).toBe(0);

    const weak = weakened('resolveSecretLinks');
    await expect(sh('echo ran', { ...opts, runtime: weak })).rejects.toMatchObject({ code: 'ERR_CORDON_SETUP_FAILED' });
    closeRuntime(weak);
    rmSync(t.path('ws/inside-target'), { force: true }); // whatever bwrap may have created there before failing

    const ran = await sh('echo ran', opts);
    expect(ran.exitCode).toBe(0);
    expect(ran.stdout.trim()).toBe('ran');
    expect(existsSync(t.path('ws/inside-target'))).toBe(false); // host: nothing was created at a link's target

    mkdirSync(t.path('later'));
    writeFileSync(t.path('later/secret.env'), `API_KEY=${SECRET}\n`); // a later user action makes it resolve
    const after = await sh(`cat .env.cache 2>&1; cat ${t.path('later/secret.env')} 2>&1; echo CONTROL-RAN`, opts);
    expect(after.exitCode).toBe(0);
    expect(after.stdout).toContain('CONTROL-RAN');
    expect(after.stdout).toMatch(/\.env\.cache: Permission denied/);
    expect(after.stdout).not.toContain(SECRET);
  });
});
