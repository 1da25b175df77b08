import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isSystemDir } from './system-dirs.js';

/**
 * Every home directory whose secrets a command must not read and whose start-up files it
 * must not write, besides the HOME the command is given. HOME is only a variable: a caller
 * that passes `env: { HOME: X }` changes where `~` points, not where the process owner's real
 * `~/.ssh` lies. So the list is:
 *  - the home in the owner's passwd entry (os.userInfo(), which ignores $HOME);
 *  - $HOME of this process (what a shell started by the user would read);
 *  - under sudo (euid 0 with SUDO_UID set), the invoking user's passwd home: root without
 *    capabilities can still read that user's world-readable files (~/.npmrc is often 0644),
 *    and the user's shell would run an rc file written there. SUDO_UID is only a variable,
 *    but trusting it can only add denials, never remove one.
 * Only absolute paths count; an unset or relative HOME adds nothing.
 */
export function ownerHomes(processEnv: NodeJS.ProcessEnv = process.env): string[] {
  const homes: string[] = [];
  const add = (p: string | undefined) => {
    if (p && path.isAbsolute(p) && !p.includes('\0')) homes.push(path.normalize(p));
  };
  try {
    add(os.userInfo().homedir);
  } catch {
    // No passwd entry for this uid (some containers): only $HOME is left to go by.
  }
  add(processEnv.HOME);
  if (process.geteuid?.() === 0 && processEnv.SUDO_UID && /^\d+$/.test(processEnv.SUDO_UID)) add(passwdHome(Number(processEnv.SUDO_UID)));
  return homes;
}

/** The home field of the first /etc/passwd line with this uid (users from NSS/LDAP are not found). */
function passwdHome(uid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && fields[2] === String(uid)) return fields[5];
  }
  return undefined;
}

/**
 * As root, every user's home is writable, so every user's start-up files are in reach: a
 * root workspace of /home/alice lets a command write the ~/.bashrc alice's next shell runs.
 * These homes count for the "is or contains a home" refusal and for start-up protection
 * (not for secret hiding: root reading alice's files is root's business). Entries whose home
 * is missing (/nonexistent), `/`, or a system directory (/bin, /usr/sbin, /var/lib/postgresql,
 * /run/sshd: no writable root can be or contain one anyway) are left out. Users known only
 * through NSS/LDAP are not listed. Non-root callers get none: they cannot write other homes.
 */
export function passwdHomes(passwdText?: string): string[] {
  let text = passwdText;
  if (text === undefined) {
    try {
      text = readFileSync('/etc/passwd', 'utf8');
    } catch {
      return [];
    }
  }
  const homes: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    const home = fields[5];
    if (fields.length < 7 || !home || !path.isAbsolute(home) || home.includes('\0')) continue;
    const normal = path.normalize(home).replace(/(.)\/+$/, '$1');
    if (normal === '/' || isSystemDir(normal) || homes.includes(normal)) continue;
    try {
      if (!statSync(normal).isDirectory()) continue;
    } catch {
      continue;
    }
    homes.push(normal);
  }
  return homes;
}

/**
 * Whether `dir` is the home directory of an account in /etc/passwd, system trees included
 * (service accounts such as jenkins live in /var/lib/jenkins). Used to accept a project inside
 * such a home although the home lies in /var.
 */
export function isAccountHome(dir: string, passwdText?: string): boolean {
  let text = passwdText;
  if (text === undefined) {
    try {
      text = readFileSync('/etc/passwd', 'utf8');
    } catch {
      return false;
    }
  }
  return text.split('\n').some((line) => {
    const home = line.split(':')[5];
    return home !== undefined && path.isAbsolute(home) && path.normalize(home).replace(/(.)\/+$/, '$1') === dir;
  });
}
