import { appendFileSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCordonError } from '../../src/errors.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { otherNamesOfSecrets, SecretLinkError, SecretScanCache } from '../../src/policy/secret-scan.js';
import { tempTrees } from '../helpers/tree.js';

const tree = tempTrees();

describe('other names of a hard-linked secret (issue 7 item 4a)', () => {
  it('finds every other name in the writable roots, dependency trees included; the weakened search finds none', () => {
    const t = tree({ 'ws/.env.local': '', 'ws/node_modules/p/': '', 'ws/src/': '' });
    linkSync(t.path('ws/.env.local'), t.path('ws/notes.txt'));
    linkSync(t.path('ws/.env.local'), t.path('ws/node_modules/p/hidden'));
    const ws = t.path('ws');
    expect(otherNamesOfSecrets([t.path('ws/.env.local')], [ws], [], new SecretScanCache({ findOtherNames: false }))).toEqual([]);
    expect(otherNamesOfSecrets([t.path('ws/.env.local')], [ws], [], new SecretScanCache())).toEqual([t.path('ws/node_modules/p/hidden'), t.path('ws/notes.txt')]);
  });

  it('walks nothing while no secret has a second link, and a cached walk sees a link made later', () => {
    const t = tree({ 'ws/.env': 'S', 'ws/a/b/': '' });
    const cache = new SecretScanCache();
    expect(otherNamesOfSecrets([t.path('ws/.env')], [t.path('ws')], [], cache)).toEqual([]);
    expect(cache.names.size).toBe(0);
    linkSync(t.path('ws/.env'), t.path('ws/a/b/one'));
    expect(otherNamesOfSecrets([t.path('ws/.env')], [t.path('ws')], [], cache)).toEqual([t.path('ws/a/b/one')]);
    expect(cache.names.size).toBeGreaterThan(0);
    linkSync(t.path('ws/.env'), t.path('ws/a/two'));
    expect(otherNamesOfSecrets([t.path('ws/.env')], [t.path('ws')], [], cache)).toEqual([t.path('ws/a/b/one'), t.path('ws/a/two')]);
  });

  it('fails closed with ERR_CORDON_SECRET_LINKED when a name lies outside the roots, unless another rule masks it', () => {
    const t = tree({ 'ws/sub/.env.local': 'S' });
    linkSync(t.path('ws/sub/.env.local'), t.path('ws/notes.txt'));
    const sub = t.path('ws/sub');
    let error: unknown;
    try {
      otherNamesOfSecrets([t.path('ws/sub/.env.local')], [sub], [], new SecretScanCache());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretLinkError);
    expect(isCordonError(error) && error.code).toBe('ERR_CORDON_SECRET_LINKED');
    expect((error as SecretLinkError).found).toEqual([t.path('ws/sub/.env.local')]);
    expect((error as SecretLinkError).hint).toContain('-samefile');
    expect(otherNamesOfSecrets([t.path('ws/sub/.env.local')], [sub], [t.path('ws/notes.txt')], new SecretScanCache())).toEqual([t.path('ws/notes.txt')]);
  });
});

describe('resolution masks the other names of denied files in writable roots', () => {
  it('a workspace secret and a read.deny file planted with a second name get both names denied', () => {
    const t = tree({ 'ws/keys/': '', 'home/': '' });
    writeFileSync(t.path('ws/.env.local'), '');
    linkSync(t.path('ws/.env.local'), t.path('ws/notes.txt'));
    writeFileSync(t.path('ws/keys/a.pem'), '');
    linkSync(t.path('ws/keys/a.pem'), t.path('ws/readme.md'));
    appendFileSync(t.path('ws/.env.local'), 'KEY=1'); // the user fills it in later: same inode
    const denied = (cache?: SecretScanCache) =>
      resolvePolicy({ read: { deny: [t.path('ws/keys/a.pem')] } }, { workspace: t.path('ws'), home: t.path('home'), env: { HOME: t.path('home') }, ...(cache ? { scanCache: cache } : {}) }).denyRead.map((r) => r.path);
    const weak = denied(new SecretScanCache({ findOtherNames: false }));
    expect(weak).toContain(t.path('ws/.env.local'));
    expect(weak).not.toContain(t.path('ws/notes.txt'));
    const strong = denied();
    expect(strong).toEqual(expect.arrayContaining([t.path('ws/.env.local'), t.path('ws/notes.txt'), t.path('ws/keys/a.pem'), t.path('ws/readme.md')]));
  });

  it('a secret with a name outside every writable root stops resolution', () => {
    const t = tree({ 'ws/app/': '', 'home/': '' });
    writeFileSync(t.path('ws/app/.env'), 'S');
    mkdirSync(t.path('elsewhere'));
    linkSync(t.path('ws/app/.env'), t.path('elsewhere/copy'));
    expect(() => resolvePolicy(undefined, { workspace: t.path('ws/app'), home: t.path('home'), env: { HOME: t.path('home') } })).toThrow(SecretLinkError);
  });
});
