import { describe, expect, it } from 'vitest';
import { HOME_SECRETS, PROTECTED_IN_HOME, SYSTEM_SECRETS } from '../../src/policy/defaults.js';
import { isGlob } from '../../src/policy/globs.js';

const dupes = (xs: readonly string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

describe('default deny and home-protection lists are well-formed data', () => {
  it('home secrets are ~/ paths, system secrets absolute, no duplicates', () => {
    for (const p of HOME_SECRETS) expect(p, p).toMatch(/^~\/[^/]/);
    for (const p of SYSTEM_SECRETS) expect(p, p).toMatch(/^\/[^/]/);
    expect(dupes(HOME_SECRETS)).toEqual([]);
    expect(dupes(SYSTEM_SECRETS)).toEqual([]);
  });

  it('the issue-7 minimum is on the lists', () => {
    for (const p of ['~/.config/git/credentials', '~/.claude/.credentials.json', '~/.codex', '~/.pgpass', '~/.my.cnf', '~/.config/containers/auth.json', '~/.s3cfg', '~/.config/rclone', '~/.m2/settings.xml', '~/.gradle/gradle.properties']) {
      expect(HOME_SECRETS, p).toContain(p);
    }
    expect(SYSTEM_SECRETS).toEqual(expect.arrayContaining(['/etc/shadow', '/etc/gshadow', '/etc/ssh/ssh_host_*_key']));
  });

  it('home start-up locations are literal relative paths with a kind, no duplicates', () => {
    for (const { path, kind } of PROTECTED_IN_HOME) {
      expect(path, path).not.toMatch(/^[/~]|\/$/);
      expect(isGlob(path), path).toBe(false);
      expect(['file', 'dir']).toContain(kind);
    }
    expect(dupes(PROTECTED_IN_HOME.map((p) => p.path))).toEqual([]);
    for (const p of ['.bash_aliases', '.local/bin', 'bin', '.config/autostart', '.config/systemd', '.config/environment.d', '.pam_environment', '.ssh', '.npmrc', '.cargo/bin', 'go/bin']) {
      expect(PROTECTED_IN_HOME.map((e) => e.path), p).toContain(p);
    }
  });
});
