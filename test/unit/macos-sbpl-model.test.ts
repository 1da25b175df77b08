import { describe, expect, it } from 'vitest';
import { checkNoRawPaths, checkParams, checkPreamble, checkRules, type ProfileParts } from '../sbpl/checks.js';
import { operationMatches, SeatbeltModel } from '../sbpl/decide.js';
import { readSbpl, SbplSyntaxError, show } from '../sbpl/reader.js';
import { resolvedFixture } from '../sbpl/fixtures.js';

/** The reader, the checks and the model are what the other tests lean on: they must bite. */

const parts = (text: string, defines: Record<string, string> = {}): ProfileParts => ({ text, defines: new Map(Object.entries(defines)), duplicateDefines: [] });

describe('readSbpl', () => {
  it('reads lists, symbols, strings with escapes, regex literals and comments', () => {
    const forms = readSbpl('(version 1) ; a comment\n(allow file-read* (literal "/dev/a\\"b\\\\") (regex #"^/x\\.y$"))');
    expect(forms.map(show)).toEqual(['(version 1)', '(allow file-read* (literal "/dev/a\\"b\\\\") (regex #"^/x\\.y$"))']);
    const rule = forms[1]!;
    expect(rule.type === 'list' && rule.items[2]!.type === 'list' && rule.items[2]!.items[1]).toMatchObject({ type: 'string', value: '/dev/a"b\\' });
  });

  it.each([
    ['(allow file-read*', /missing "\)"/],
    ['(allow))', /unbalanced "\)"/],
    ['(literal "abc)', /unterminated string/],
    ['(regex #"abc)', /unterminated regex/],
    ['(literal "a\\qb")', /unknown string escape/],
    ['(regex #"a\\"b")', /escaped quote/],
  ])('rejects %j', (text, message) => {
    expect(() => readSbpl(text)).toThrow(SbplSyntaxError);
    expect(() => readSbpl(text)).toThrow(message);
  });
});

describe('checks', () => {
  const ok = '(version 1)\n(deny default (with message "cordon:t:default"))\n(allow file-read* (subpath (param "A")))';

  it('accept a well-formed profile', () => {
    const forms = readSbpl(ok);
    expect([...checkPreamble(forms), ...checkRules(forms), ...checkParams(forms, parts(ok, { A: '/x' }))]).toEqual([]);
  });

  it.each([
    ['(deny default)\n(version 1)', /first form must be \(version 1\)/],
    ['(version 1)\n(allow file-read*)\n(deny default)', /second form must be \(deny default/],
    ['(version 1)\n(deny default)\n(allow default)', /\(allow default\) found/],
  ])('preamble: %j', (text, message) => {
    expect(checkPreamble(readSbpl(text)).join('\n')).toMatch(message);
  });

  it.each([
    ['(allow file-writ* (subpath (param "A")))', /unknown operation file-writ\*/],
    ['(allow file-read* (subpth (param "A")))', /unknown filter subpth/],
    ['(allow file-read* (subpath "/Users/alice"))', /path written as text/],
    ['(allow file-read* (regex #"^/a{2}$"))', /outside the supported subset/],
    ['(deny file-read* (with message "cordon:bad tag:secret"))', /bad modifier/],
    ['(allow file-read* (with message "cordon:t:secret"))', /message on an allow rule/],
    ['(allow (subpath (param "A")))', /rule without operation/],
    ['(define x 1)', /unexpected top-level form/],
  ])('rules: %j', (rule, message) => {
    expect(checkRules(readSbpl(`(version 1)\n(deny default)\n${rule}`)).join('\n')).toMatch(message);
  });

  it('params: every (param) defined, every -D used, none twice', () => {
    const text = '(version 1)\n(deny default)\n(allow file-read* (subpath (param "A")) (subpath (param "B")))';
    const problems = checkParams(readSbpl(text), { text, defines: new Map([['A', '/a'], ['C', '/c']]), duplicateDefines: ['A'] });
    expect(problems).toEqual(['(param "B") has no -DB=', '-DC= is never used', '-DA= given twice']);
  });

  it('raw paths: any policy path in the text is reported', () => {
    const policy = resolvedFixture();
    expect(checkNoRawPaths('(allow file-read* (subpath "/Users/alice/.ssh"))', policy)).toEqual([
      'raw path in profile text: /Users/alice',
      'raw path in profile text: /Users/alice/.ssh',
    ]);
  });
});

describe('SeatbeltModel', () => {
  const model = (rules: string, params: Record<string, string> = {}) =>
    new SeatbeltModel(`(version 1)\n(deny default (with message "cordon:t:default"))\n${rules}`, new Map(Object.entries(params)));

  it('answers with the default when nothing matches, naming it', () => {
    expect(model('').decide('file-read-data', { path: '/x' })).toMatchObject({ decision: 'deny', message: 'cordon:t:default' });
  });

  it('lets the last matching rule win, in both directions', () => {
    const m = model('(allow file-read*)\n(deny file-read* (subpath (param "S")))\n(allow file-read* (literal (param "K")))', { S: '/h/.ssh', K: '/h/.ssh/known_hosts' });
    expect(m.decide('file-read-data', { path: '/h/.ssh/id_rsa' }).decision).toBe('deny');
    expect(m.decide('file-read-data', { path: '/h/.ssh/known_hosts' }).decision).toBe('allow');
    expect(m.decide('file-read-data', { path: '/h/.sshx' }).decision).toBe('allow');
    expect(m.decide('file-read-data', { path: '/h/.ssh' }).decision).toBe('deny');
  });

  it('matches operation wildcards by prefix only', () => {
    expect(operationMatches('file-write*', 'file-write-create')).toBe(true);
    expect(operationMatches('file*', 'file-read-data')).toBe(true);
    expect(operationMatches('file-write*', 'file-read-data')).toBe(false);
    expect(operationMatches('file-write-data', 'file-write-create')).toBe(false);
  });

  it('evaluates require-all, require-any and require-not', () => {
    const m = model(
      '(allow file-write* (require-all (subpath (param "R")) (regex #"\\.txt$")))\n(deny file-write* (require-all (subpath (param "R")) (require-not (require-any (regex #"^/r/a") (regex #"^/r/b")))))',
      { R: '/r' },
    );
    expect(m.decide('file-write-data', { path: '/r/a.txt' }).decision).toBe('allow');
    expect(m.decide('file-write-data', { path: '/r/c.txt' }).decision).toBe('deny');
    expect(m.decide('file-write-data', { path: '/r/a.md' }).decision).toBe('deny');
  });

  it('errs towards deny on filters it does not model', () => {
    const m = model('(allow file-write-data (require-all (literal "/dev/x") (extension "e")))\n(allow file-read*)\n(deny file-read* (vnode-type DIRECTORY))');
    expect(m.decide('file-write-data', { path: '/dev/x' }).decision).toBe('deny');
    expect(m.decide('file-read-data', { path: '/anything' }).decision).toBe('deny');
  });

  it('refuses a profile that uses an undefined parameter', () => {
    expect(() => model('(allow file-read* (subpath (param "NOPE")))').decide('file-read-data', { path: '/x' })).toThrow(/undefined parameter NOPE/);
  });
});
