/**
 * The built-in rules, as data. Everything here is documented in the README's policy
 * reference; change both together.
 */

/** Secrets under the home directory, denied for reading unless `read.defaultSecrets` is false. */
export const HOME_SECRETS: readonly string[] = [
  '~/.ssh',
  '~/.aws',
  '~/.gnupg',
  '~/.config/gh',
  '~/.config/gcloud',
  '~/.config/hub',
  '~/.config/op',
  '~/.azure',
  '~/.kube',
  '~/.docker/config.json',
  '~/.netrc',
  '~/.git-credentials',
  '~/.npmrc',
  '~/.yarnrc.yml',
  '~/.pypirc',
  '~/.gem/credentials',
  '~/.cargo/credentials',
  '~/.cargo/credentials.toml',
  '~/.terraform.d/credentials.tfrc.json',
  '~/.vault-token',
  '~/.password-store',
  '~/.local/share/keyrings',
  // Browser profiles: cookies and saved passwords.
  '~/.mozilla',
  '~/.config/google-chrome',
  '~/.config/chromium',
  '~/.config/BraveSoftware',
  '~/.config/microsoft-edge',
  '~/Library/Application Support/Google/Chrome',
  '~/Library/Application Support/Firefox',
  '~/Library/Keychains',
];

/** Secret files inside each writable root, matched at any depth (globs relative to the root). */
export const WORKSPACE_SECRETS: readonly string[] = ['**/.env', '**/.env.*'];

/** Templates that look like secrets but are meant to be read. */
export const WORKSPACE_SECRET_EXCEPTIONS: readonly string[] = ['**/.env.example', '**/.env.sample', '**/.env.template'];

/**
 * Directories the workspace secret scan never descends into: dependency trees and VCS
 * internals hold no user secrets and would make every command pay for a huge walk.
 */
export const SCAN_SKIP_DIRS: readonly string[] = ['node_modules', '.git', '.hg', '.svn', '.venv', 'venv', '__pycache__', 'target', '.cache'];

/** Most entries a deny/allow glob may touch before it is rejected as over-broad. */
export const GLOB_ENTRY_BUDGET = 50_000;

export interface ProtectedName {
  /** Relative to a writable root. */
  path: string;
  /** What to create as an uncreatable placeholder when it is missing. */
  kind: 'dir' | 'file';
}

/**
 * Kept read-only (and uncreatable) inside every writable root: files that make a host
 * tool run code later (git hooks and config, direnv, editor tasks, agent settings, MCP).
 * `.git/hooks` and `.git/config` are handled specially when `.git` is missing or a file.
 */
export const PROTECTED_IN_ROOT: readonly ProtectedName[] = [
  { path: '.git/hooks', kind: 'dir' },
  { path: '.git/config', kind: 'file' },
  { path: '.gitmodules', kind: 'file' },
  { path: '.envrc', kind: 'file' },
  { path: '.vscode', kind: 'dir' },
  { path: '.idea', kind: 'dir' },
  { path: '.claude', kind: 'dir' },
  { path: '.cursor', kind: 'dir' },
  { path: '.mcp.json', kind: 'file' },
];

/** Shell start-up files: protected only in a writable root that is the home directory. */
export const PROTECTED_IN_HOME: readonly ProtectedName[] = [
  { path: '.bashrc', kind: 'file' },
  { path: '.bash_profile', kind: 'file' },
  { path: '.bash_login', kind: 'file' },
  { path: '.bash_logout', kind: 'file' },
  { path: '.profile', kind: 'file' },
  { path: '.zshrc', kind: 'file' },
  { path: '.zshenv', kind: 'file' },
  { path: '.zprofile', kind: 'file' },
  { path: '.zlogin', kind: 'file' },
  { path: '.config/fish', kind: 'dir' },
  { path: '.gitconfig', kind: 'file' },
  { path: '.config/git', kind: 'dir' },
];

/** Environment variables dropped by default (globs, case-insensitive). */
export const SECRET_ENV_PATTERNS: readonly string[] = [
  '*_TOKEN',
  '*_TOKEN_*',
  '*SECRET*',
  '*_API_KEY',
  '*_APIKEY',
  '*_ACCESS_KEY*',
  '*PASSWORD*',
  '*PASSWD*',
  '*_PRIVATE_KEY*',
  '*CREDENTIAL*',
  '*_AUTH',
  '*_SESSION_KEY',
  'AWS_SESSION_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'NPM_TOKEN',
  'SSH_AUTH_SOCK',
  'GPG_AGENT_INFO',
  'DOCKER_AUTH_CONFIG',
  'DATABASE_URL',
];

/** Always kept, whatever the patterns say: the command needs them to behave normally. */
export const ALWAYS_KEPT_ENV: readonly string[] = ['HOME', 'PATH', 'LANG', 'TERM', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR'];
