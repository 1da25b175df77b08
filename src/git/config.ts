import { readFileSync } from 'node:fs';

/**
 * Whether a repository config a command wrote is one `git init` or `git clone` would write,
 * so a nested repository made by ordinary work (tests that `git init` a fixture, a local clone)
 * is left alone while anything else is quarantined.
 *
 * An allowlist, not a list of dangerous keys: git has dozens of keys that run programs
 * (core.fsmonitor, core.pager, core.editor, core.sshCommand, core.hooksPath, *.command,
 * filter/diff/merge drivers, credential helpers, include.path, ...) and gains more; only keys
 * known to be plain data pass. The grammar accepted is a strict subset of git's: a line that
 * does not match it exactly (a key on a header line, a continuation backslash, an include,
 * odd characters) makes the whole file "not plain", so the parser cannot be confused into
 * reading less than git reads.
 */
const PLAIN_KEYS: readonly RegExp[] = [
  /^core\.(repositoryformatversion|filemode|bare|logallrefupdates|ignorecase|precomposeunicode|symlinks|autocrlf|eol)$/,
  /^extensions\.(objectformat|worktreeconfig|refstorage)$/,
  /^remote\.[^.]+\.(url|fetch|pushurl|tagopt|mirror)$/,
  /^branch\.[^.]+\.(remote|merge|rebase)$/,
  /^submodule\.[^.]+\.(url|active|branch)$/,
  /^user\.(name|email)$/,
  /^init\.defaultbranch$/,
  /^gc\.auto$/,
];

const BLANK = /^\s*([#;].*)?$/;
const HEADER = /^\s*\[([A-Za-z0-9-]+)(?:\s+"([^"\\\n]*)")?\]\s*([#;].*)?$/;
const KEY = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*(?:=(.*))?$/;

export function isPlainGitConfig(text: string): boolean {
  if (text.includes('\0')) return false;
  let section: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (BLANK.test(line)) continue;
    const header = HEADER.exec(line);
    if (header) {
      section = header[2] === undefined ? header[1]!.toLowerCase() : `${header[1]!.toLowerCase()}.${header[2]}`;
      continue;
    }
    const key = KEY.exec(line);
    if (!key || section === undefined) return false;
    // A value ending in a backslash continues on the next line, which git would then read as
    // part of it: refuse rather than model it.
    if (key[2] !== undefined && /\\\s*$/.test(key[2])) return false;
    const name = `${section}.${key[1]!.toLowerCase()}`;
    if (!PLAIN_KEYS.some((re) => re.test(name))) return false;
  }
  return true;
}

/**
 * The files a config includes (`[include] path = X`, `[includeIf "..."] path = X`), as written:
 * relative ones are relative to the including file's directory; `~/` ones are left to the
 * caller. Read loosely (any line that looks like a path key in such a section): a path missed
 * here would be a file host git reads as config without this check looking at it.
 */
export function configIncludes(text: string): string[] {
  const paths: string[] = [];
  let inInclude = false;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\s*([A-Za-z0-9.-]+)/.exec(line);
    if (header) inInclude = /^include(if)?$/i.test(header[1]!);
    const key = /^\s*(?:\[[^\]]*\])?\s*path\s*=\s*(.*?)\s*$/i.exec(line);
    if (inInclude && key && key[1]) {
      const value = key[1].replace(/^"(.*)"$/, '$1');
      if (!value.startsWith('~')) paths.push(value);
    }
  }
  return paths;
}

/** core.hooksPath in one config file (the last setting wins, as in git). */
export function configuredHooksPath(text: string): string | undefined {
  let section = '';
  let value: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]\s"]+)/.exec(line);
    if (header) section = header[1]!.toLowerCase();
    const key = /^\s*(?:\[[^\]]*\])?\s*hookspath\s*=\s*(.*?)\s*$/i.exec(line);
    if (key && section === 'core') value = key[1]!.replace(/^"(.*)"$/, '$1');
  }
  return value === '' ? undefined : value;
}

/** A config file's text, or undefined when it cannot be read (missing, a directory, no permission). */
export function readConfigText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
