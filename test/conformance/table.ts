import type { PolicyInput } from '../../src/policy/schema.js';

/**
 * ONE conformance table for both backends: what a sandboxed command may and may not do to
 * the file system. The macOS side checks each row against the generated Seatbelt profile
 * with a decision model (test/unit/macos-conformance.test.ts); the Linux side runs the
 * operation for real under bwrap. Rows are data; fixtures.ts turns them into files.
 *
 * Row shape
 * - name:      unique, says what is tried and why it matters.
 * - policy:    the PolicyInput given to resolvePolicy (or a function of the context when a
 *              rule must name a fixture path). Omitted: the defaults.
 * - layout:    where the workspace lives (see Layout). Omitted: DEFAULT_LAYOUT.
 * - setup:     fixtures created on the host before resolving, declaratively (see Fixture).
 *              Every `file` gets content `secret:<its relative name>` unless given.
 * - operation: what the command tries on `path`. How a runner performs it and what counts
 *              as "allow" (anything else, including a partial effect, is "deny"):
 *                read    `cat -- path`          allow iff output equals the fixture content
 *                                               (a secret masked with /dev/null reads as
 *                                               empty: that is deny)
 *                write   `printf x >> path`     on an existing file; allow iff it changed
 *                create  `: > path`             path must not exist; allow iff it now does
 *                mkdir   `mkdir -- path`        allow iff a directory now exists there
 *                unlink  `rm -f -- path`        allow iff path is gone
 *                rename  `mv -- path to`        allow iff `to` exists and `path` is gone
 * - path / to: functions of the context; `to` only for rename (default: path + '.moved').
 * - expected:  'allow' | 'deny' on every platform, unless `expectedOn` overrides one (only
 *              where the mechanisms honestly differ; the `why` says why that is safe).
 *
 * Context: the runner creates a fresh root directory (not under a directory the sandbox
 * makes private, e.g. not under /tmp when /tmp becomes a tmpfs) holding:
 *   <root>/home              -> ctx.home (HOME for resolvePolicy and the command)
 *   <root>/tmp               -> ctx.tmp  (TMPDIR; the command's private tmp)
 *   <root>/<workspaceName>   -> the workspace, or <root>/home/<workspaceName> when
 *                               layout.inHome; with layout.via === 'symlink' the real
 *                               directory is <root>/real-<name> and ctx.workspace is a
 *                               symlink to it (cordon is given the symlink).
 * ctx.workspace is always the path cordon was given; paths built from it may cross symlinks.
 */

export interface Ctx {
  workspace: string;
  home: string;
  tmp: string;
}

export type PathFn = (ctx: Ctx) => string;

export type Fixture =
  | { kind: 'file'; path: PathFn; content?: string }
  | { kind: 'dir'; path: PathFn }
  | { kind: 'symlink'; path: PathFn; target: PathFn };

export interface Layout {
  /** Directory name of the workspace (may contain any character but `/` and NUL). */
  workspaceName: string;
  /** Put the workspace inside the home directory. */
  inHome?: boolean;
  /** Give cordon a symlink to the workspace instead of its real path. */
  via?: 'symlink';
}

export const DEFAULT_LAYOUT: Layout = { workspaceName: 'ws' };

export type Operation = 'read' | 'write' | 'create' | 'mkdir' | 'unlink' | 'rename';
export type Expectation = 'allow' | 'deny';

export interface ConformanceRow {
  name: string;
  policy?: PolicyInput | ((ctx: Ctx) => PolicyInput);
  layout?: Layout;
  setup?: Fixture[];
  operation: Operation;
  path: PathFn;
  to?: PathFn;
  expected: Expectation;
  expectedOn?: { linux?: Expectation; macos?: Expectation; why: string };
}

// Path helpers: `ws('a/b')` is <workspace>/a/b, and so on.
const join = (base: string, rel: string) => (rel === '' ? base : `${base}/${rel}`);
export const ws = (rel = ''): PathFn => (ctx) => join(ctx.workspace, rel);
export const home = (rel = ''): PathFn => (ctx) => join(ctx.home, rel);
export const tmp = (rel = ''): PathFn => (ctx) => join(ctx.tmp, rel);
export const abs = (p: string): PathFn => () => p;

const file = (path: PathFn, content?: string): Fixture => (content === undefined ? { kind: 'file', path } : { kind: 'file', path, content });
const dir = (path: PathFn): Fixture => ({ kind: 'dir', path });
const symlink = (path: PathFn, target: PathFn): Fixture => ({ kind: 'symlink', path, target });

/** A workspace that is a git checkout with the usual files, and a home with secrets. */
const GIT = [dir(ws('.git/hooks')), file(ws('.git/config')), file(ws('.git/HEAD'))];
const SECRETS = [file(home('.ssh/id_rsa')), file(home('.aws/credentials')), file(home('.netrc'))];
const SOURCES = [file(ws('src/main.ts')), file(ws('src/old.ts')), file(ws('README.md'))];
const BASIC = [...GIT, ...SECRETS, ...SOURCES];

/** Names with regex and glob metacharacters: they must stay literal everywhere. */
export const METACHAR_NAME = 'a+b(1)[x].txt';
export const METACHAR_WORKSPACE = 'a+b(1)[x]{y}*';
export const HOSTILE_WORKSPACE = 'a"b) (allow default) ;c';

export const CONFORMANCE_TABLE: readonly ConformanceRow[] = [
  // Secrets in home: unreadable by default.
  { name: 'read ~/.ssh/id_rsa', setup: BASIC, operation: 'read', path: home('.ssh/id_rsa'), expected: 'deny' },
  { name: 'read ~/.aws/credentials', setup: BASIC, operation: 'read', path: home('.aws/credentials'), expected: 'deny' },
  { name: 'read ~/.netrc (a secret file, not a directory)', setup: BASIC, operation: 'read', path: home('.netrc'), expected: 'deny' },
  { name: 'read an ordinary file in home', setup: [...BASIC, file(home('notes.txt'))], operation: 'read', path: home('notes.txt'), expected: 'allow' },
  {
    name: 'read ~/.ssh/id_rsa through a symlink planted in the workspace',
    setup: [...BASIC, symlink(ws('key'), home('.ssh/id_rsa'))],
    operation: 'read',
    path: ws('key'),
    expected: 'deny',
  },
  {
    name: 'read.allow re-exposes one file inside a denied directory',
    policy: { read: { allow: ['~/.ssh/known_hosts'] } },
    setup: [...BASIC, file(home('.ssh/known_hosts'))],
    operation: 'read',
    path: home('.ssh/known_hosts'),
    expected: 'allow',
  },
  {
    name: 'read.allow of one file leaves its siblings denied',
    policy: { read: { allow: ['~/.ssh/known_hosts'] } },
    setup: [...BASIC, file(home('.ssh/known_hosts'))],
    operation: 'read',
    path: home('.ssh/id_rsa'),
    expected: 'deny',
  },
  {
    name: 'read.denyHome hides ordinary files in home',
    policy: { read: { denyHome: true } },
    setup: [...BASIC, file(home('notes.txt'))],
    operation: 'read',
    path: home('notes.txt'),
    expected: 'deny',
  },
  {
    name: 'read.denyHome keeps a workspace inside home readable',
    policy: { read: { denyHome: true } },
    layout: { workspaceName: 'proj', inHome: true },
    setup: BASIC,
    operation: 'read',
    path: ws('src/main.ts'),
    expected: 'allow',
  },
  {
    name: 'read.denyHome keeps a workspace inside home writable',
    policy: { read: { denyHome: true } },
    layout: { workspaceName: 'proj', inHome: true },
    setup: BASIC,
    operation: 'write',
    path: ws('src/main.ts'),
    expected: 'allow',
  },
  {
    name: 'read.denyHome still denies the workspace .env',
    policy: { read: { denyHome: true } },
    layout: { workspaceName: 'proj', inHome: true },
    setup: [...BASIC, file(ws('.env'))],
    operation: 'read',
    path: ws('.env'),
    expected: 'deny',
  },
  {
    name: 'read.deny glob with escaped metacharacters matches the literal name',
    policy: { read: { deny: ['~/vault/a+b\\(1\\)\\[x\\]*.txt'] } },
    setup: [...BASIC, file(home('vault/a+b(1)[x]-2024.txt')), file(home('vault/a+b1x-2024.txt'))],
    operation: 'read',
    path: home('vault/a+b(1)[x]-2024.txt'),
    expected: 'deny',
  },
  {
    name: 'read.deny glob with escaped metacharacters does not treat them as a class',
    policy: { read: { deny: ['~/vault/a+b\\(1\\)\\[x\\]*.txt'] } },
    setup: [...BASIC, file(home('vault/a+b(1)[x]-2024.txt')), file(home('vault/a+b1x-2024.txt'))],
    operation: 'read',
    path: home('vault/a+b1x-2024.txt'),
    expected: 'allow',
  },

  // Secrets in the workspace.
  { name: 'read workspace .env', setup: [...BASIC, file(ws('.env'))], operation: 'read', path: ws('.env'), expected: 'deny' },
  { name: 'read nested workspace app/.env.local', setup: [...BASIC, file(ws('app/.env.local'))], operation: 'read', path: ws('app/.env.local'), expected: 'deny' },
  { name: 'read workspace .env.example (a template)', setup: [...BASIC, file(ws('.env')), file(ws('.env.example'))], operation: 'read', path: ws('.env.example'), expected: 'allow' },
  { name: 'write workspace .env.example', setup: [...BASIC, file(ws('.env')), file(ws('.env.example'))], operation: 'write', path: ws('.env.example'), expected: 'allow' },
  { name: 'write workspace .env', setup: [...BASIC, file(ws('.env'))], operation: 'write', path: ws('.env'), expected: 'deny' },
  { name: 'unlink workspace .env', setup: [...BASIC, file(ws('.env'))], operation: 'unlink', path: ws('.env'), expected: 'deny' },
  {
    name: 'read.allow inside a denied workspace directory: readable',
    policy: (ctx) => ({ read: { deny: [`${ctx.workspace}/secrets`], allow: [`${ctx.workspace}/secrets/public.txt`] } }),
    setup: [...BASIC, file(ws('secrets/key.pem')), file(ws('secrets/public.txt'))],
    operation: 'read',
    path: ws('secrets/public.txt'),
    expected: 'allow',
  },
  {
    name: 'read.allow inside a denied workspace directory: still read-only',
    policy: (ctx) => ({ read: { deny: [`${ctx.workspace}/secrets`], allow: [`${ctx.workspace}/secrets/public.txt`] } }),
    setup: [...BASIC, file(ws('secrets/key.pem')), file(ws('secrets/public.txt'))],
    operation: 'write',
    path: ws('secrets/public.txt'),
    expected: 'deny',
  },
  {
    name: 'read.deny of a workspace directory hides its other files',
    policy: (ctx) => ({ read: { deny: [`${ctx.workspace}/secrets`], allow: [`${ctx.workspace}/secrets/public.txt`] } }),
    setup: [...BASIC, file(ws('secrets/key.pem')), file(ws('secrets/public.txt'))],
    operation: 'read',
    path: ws('secrets/key.pem'),
    expected: 'deny',
  },
  { name: 'rename workspace .env to a readable name', setup: [...BASIC, file(ws('.env'))], operation: 'rename', path: ws('.env'), to: ws('leak.txt'), expected: 'deny' },
  {
    name: 'rename the directory holding a .env, then read it under the new name',
    setup: [...BASIC, file(ws('app/.env'))],
    operation: 'rename',
    path: ws('app'),
    to: ws('app2'),
    expected: 'deny',
    expectedOn: {
      linux: 'allow',
      why: 'on Linux the /dev/null mask is a mount that moves with the directory, so app2/.env still reads empty; Seatbelt rules name paths, so macOS pins the directory instead',
    },
  },

  // Protected paths.
  { name: 'read .git/config', setup: BASIC, operation: 'read', path: ws('.git/config'), expected: 'allow' },
  { name: 'write .git/config', setup: BASIC, operation: 'write', path: ws('.git/config'), expected: 'deny' },
  { name: 'unlink .git/config', setup: BASIC, operation: 'unlink', path: ws('.git/config'), expected: 'deny' },
  { name: 'create .git/hooks/pre-commit', setup: BASIC, operation: 'create', path: ws('.git/hooks/pre-commit'), expected: 'deny' },
  {
    name: 'mkdir .git/hooks when only .git exists',
    setup: [dir(ws('.git')), file(ws('.git/config')), ...SECRETS, ...SOURCES],
    operation: 'mkdir',
    path: ws('.git/hooks'),
    expected: 'deny',
  },
  { name: 'rename .git away (the rename bypass)', setup: BASIC, operation: 'rename', path: ws('.git'), to: ws('git-old'), expected: 'deny' },
  { name: 'mkdir .git in a workspace without one', setup: [...SECRETS, ...SOURCES], operation: 'mkdir', path: ws('.git'), expected: 'deny' },
  { name: 'write a git object (ordinary .git content stays writable)', setup: [...BASIC, file(ws('.git/index'))], operation: 'write', path: ws('.git/index'), expected: 'allow' },
  { name: 'create .vscode/tasks.json', setup: [...BASIC, dir(ws('.vscode'))], operation: 'create', path: ws('.vscode/tasks.json'), expected: 'deny' },
  { name: 'mkdir .vscode when missing', setup: BASIC, operation: 'mkdir', path: ws('.vscode'), expected: 'deny' },
  { name: 'create .mcp.json when missing', setup: BASIC, operation: 'create', path: ws('.mcp.json'), expected: 'deny' },
  { name: 'write an existing .mcp.json', setup: [...BASIC, file(ws('.mcp.json'))], operation: 'write', path: ws('.mcp.json'), expected: 'deny' },
  {
    name: 'create a hook through a symlink to .git/hooks',
    setup: [...BASIC, symlink(ws('hooklink'), ws('.git/hooks'))],
    operation: 'create',
    path: ws('hooklink/post-checkout'),
    expected: 'deny',
  },
  {
    name: 'write.protect keeps an extra file read-only',
    policy: { write: { protect: ['config/prod.yml'] } },
    setup: [...BASIC, file(ws('config/prod.yml'))],
    operation: 'write',
    path: ws('config/prod.yml'),
    expected: 'deny',
  },

  // The workspace itself.
  { name: 'read a source file', setup: BASIC, operation: 'read', path: ws('src/main.ts'), expected: 'allow' },
  { name: 'write a source file', setup: BASIC, operation: 'write', path: ws('src/main.ts'), expected: 'allow' },
  { name: 'create a new file', setup: BASIC, operation: 'create', path: ws('new.txt'), expected: 'allow' },
  { name: 'mkdir a build directory', setup: BASIC, operation: 'mkdir', path: ws('build'), expected: 'allow' },
  { name: 'unlink a source file', setup: BASIC, operation: 'unlink', path: ws('src/old.ts'), expected: 'allow' },
  { name: 'rename a source file', setup: BASIC, operation: 'rename', path: ws('src/old.ts'), to: ws('src/renamed.ts'), expected: 'allow' },
  { name: `create ${METACHAR_NAME}`, setup: BASIC, operation: 'create', path: ws(METACHAR_NAME), expected: 'allow' },
  { name: `read ${METACHAR_NAME}`, setup: [...BASIC, file(ws(METACHAR_NAME))], operation: 'read', path: ws(METACHAR_NAME), expected: 'allow' },
  {
    name: 'workspace named with glob/regex metacharacters: write a file',
    layout: { workspaceName: METACHAR_WORKSPACE },
    setup: BASIC,
    operation: 'write',
    path: ws('src/main.ts'),
    expected: 'allow',
  },
  {
    name: 'workspace named with glob/regex metacharacters: .env stays denied',
    layout: { workspaceName: METACHAR_WORKSPACE },
    setup: [...BASIC, file(ws('.env'))],
    operation: 'read',
    path: ws('.env'),
    expected: 'deny',
  },
  {
    name: 'workspace named like an SBPL injection: write a file',
    layout: { workspaceName: HOSTILE_WORKSPACE },
    setup: BASIC,
    operation: 'write',
    path: ws('src/main.ts'),
    expected: 'allow',
  },
  {
    name: 'workspace named like an SBPL injection: home stays unwritable',
    layout: { workspaceName: HOSTILE_WORKSPACE },
    setup: BASIC,
    operation: 'create',
    path: home('planted.txt'),
    expected: 'deny',
  },
  {
    name: 'workspace given as a symlink: write through the symlink',
    layout: { workspaceName: 'ws', via: 'symlink' },
    // A symlink the user made is refused unless vouched for (a command could have planted it).
    policy: { write: { allowSymlinkedRoots: true } },
    setup: BASIC,
    operation: 'write',
    path: ws('src/main.ts'),
    expected: 'allow',
  },
  {
    name: 'workspace given as a symlink: .git/config stays protected',
    layout: { workspaceName: 'ws', via: 'symlink' },
    // A symlink the user made is refused unless vouched for (a command could have planted it).
    policy: { write: { allowSymlinkedRoots: true } },
    setup: BASIC,
    operation: 'write',
    path: ws('.git/config'),
    expected: 'deny',
  },
  { name: 'read-only workspace: read', policy: { workspaceAccess: 'read' }, setup: BASIC, operation: 'read', path: ws('src/main.ts'), expected: 'allow' },
  { name: 'read-only workspace: write', policy: { workspaceAccess: 'read' }, setup: BASIC, operation: 'write', path: ws('src/main.ts'), expected: 'deny' },
  {
    name: 'write.allow adds a writable root',
    policy: { write: { allow: ['~/cache'] } },
    setup: [...BASIC, dir(home('cache'))],
    operation: 'create',
    path: home('cache/entry'),
    expected: 'allow',
  },

  // Outside the workspace.
  { name: 'read /etc/hosts', setup: BASIC, operation: 'read', path: abs('/etc/hosts'), expected: 'allow' },
  { name: 'write /etc/hosts', setup: BASIC, operation: 'write', path: abs('/etc/hosts'), expected: 'deny' },
  { name: 'create a file in home', setup: BASIC, operation: 'create', path: home('evil.txt'), expected: 'deny' },
  { name: 'write a file in home', setup: [...BASIC, file(home('.bashrc'))], operation: 'write', path: home('.bashrc'), expected: 'deny' },
  { name: 'create a file in the private tmp', setup: BASIC, operation: 'create', path: tmp('scratch.txt'), expected: 'allow' },
  { name: 'mkdir in the private tmp', setup: BASIC, operation: 'mkdir', path: tmp('build'), expected: 'allow' },
  {
    name: 'move the workspace into tmp (would shed every path rule)',
    setup: BASIC,
    operation: 'rename',
    path: ws(),
    to: tmp('moved-ws'),
    expected: 'deny',
  },
];
