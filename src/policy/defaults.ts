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
  // Credential stores of dev tools. Each one only serves network access, which the sandbox
  // does not have, so hiding it costs a command nothing; only dedicated credential files are
  // listed, not mixed config files (pip.conf, NuGet.Config): add those to `read.deny` if they
  // hold passwords.
  '~/.config/git/credentials', // git's XDG credential store (same format as ~/.git-credentials)
  '~/.claude/.credentials.json', // Claude Code OAuth tokens on Linux
  '~/.claude.json', // Claude Code state: MCP server definitions carry their tokens in `env`
  '~/.codex', // Codex CLI: auth.json, plus session logs that echo what the user pasted
  '~/.gemini/oauth_creds.json',
  '~/.config/github-copilot', // Copilot OAuth tokens (hosts.json, apps.json)
  '~/.config/glab-cli',
  '~/.pgpass',
  '~/.my.cnf',
  '~/.mylogin.cnf', // MySQL's obfuscated (not encrypted) login paths
  '~/.config/containers/auth.json', // podman/buildah/skopeo registry logins
  '~/.s3cfg',
  '~/.boto', // gsutil
  '~/.config/rclone',
  '~/.m2/settings.xml',
  '~/.m2/settings-security.xml', // the master password that decrypts settings.xml
  '~/.gradle/gradle.properties',
  '~/.config/composer/auth.json',
  '~/.composer/auth.json',
  '~/.yarnrc', // yarn 1 keeps `_authToken` here
  '~/.terraformrc',
  '~/.config/hcloud',
  '~/.oci',
  '~/.config/doctl',
  '~/.ngrok2',
  '~/.config/ngrok',
  '~/.fly',
  '~/.databrickscfg',
  '~/.config/sops', // age keys (sops/age/keys.txt)
  '~/.config/helm/registry',
  '~/.Xauthority', // the X11 cookie: whoever holds it may drive the user's display
  // Shell and REPL histories: what users typed includes `export TOKEN=...` and `mysql -p...`.
  // Non-interactive commands never read them, so hiding them breaks nothing.
  '~/.bash_history',
  '~/.zsh_history',
  '~/.histfile',
  '~/.local/share/fish/fish_history',
  '~/.python_history',
  '~/.node_repl_history',
  '~/.psql_history',
  '~/.mysql_history',
  '~/.sqlite_history',
  '~/.rediscli_history',
];

/**
 * Secrets outside any home directory, denied with HOME_SECRETS. Most are root-only already, so
 * for other users masking them changes nothing; as root (containers, CI) they would otherwise be
 * readable: password hashes, SSH host keys (impersonating this machine), TLS and VPN keys.
 */
export const SYSTEM_SECRETS: readonly string[] = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/master.passwd', // BSD/macOS equivalent of /etc/shadow
  '/etc/ssh/ssh_host_*_key', // the private halves only; *.pub stay readable
  '/etc/ssl/private',
  '/etc/letsencrypt/archive',
  '/etc/letsencrypt/accounts',
  '/etc/wireguard',
  '/etc/NetworkManager/system-connections', // Wi-Fi and VPN passwords
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

/**
 * Protected (read-only, uncreatable) wherever the home directory lies inside a writable root.
 * Each entry is a place a host program reads later and turns into code execution or a changed
 * PATH for the user, without the user running anything from the workspace:
 */
export const PROTECTED_IN_HOME: readonly ProtectedName[] = [
  // Shells: read at every interactive shell or login.
  { path: '.bashrc', kind: 'file' },
  { path: '.bash_profile', kind: 'file' },
  { path: '.bash_login', kind: 'file' },
  { path: '.bash_logout', kind: 'file' },
  { path: '.bash_aliases', kind: 'file' },
  { path: '.bashrc.d', kind: 'dir' }, // Fedora's default .bashrc sources every file in it
  { path: '.profile', kind: 'file' },
  { path: '.zshrc', kind: 'file' },
  { path: '.zshenv', kind: 'file' },
  { path: '.zprofile', kind: 'file' },
  { path: '.zlogin', kind: 'file' },
  { path: '.zlogout', kind: 'file' },
  { path: '.config/fish', kind: 'dir' },
  // readline macros can type and submit a command when the user presses a bound key (even Enter).
  { path: '.inputrc', kind: 'file' },
  // Graphical and systemd sessions: run or set LD_PRELOAD/PATH at the next login or boot.
  { path: '.pam_environment', kind: 'file' },
  { path: '.xprofile', kind: 'file' },
  { path: '.xsessionrc', kind: 'file' },
  { path: '.xsession', kind: 'file' },
  { path: '.xinitrc', kind: 'file' },
  { path: '.config/autostart', kind: 'dir' },
  { path: '.config/systemd', kind: 'dir' }, // user units and user.conf's DefaultEnvironment
  { path: '.local/share/systemd', kind: 'dir' },
  { path: '.config/environment.d', kind: 'dir' },
  // Desktop handlers: a planted .desktop file or mimeapps entry runs when the user opens a link or file.
  { path: '.local/share/applications', kind: 'dir' },
  { path: '.config/mimeapps.list', kind: 'file' },
  // Directories on the user's PATH: a planted `git` or `ls` there shadows the real one.
  { path: '.local/bin', kind: 'dir' },
  { path: 'bin', kind: 'dir' },
  { path: '.cargo/bin', kind: 'dir' },
  { path: '.cargo/env', kind: 'file' }, // sourced by .profile/.bashrc after rustup
  { path: 'go/bin', kind: 'dir' },
  // Python imports `*.pth` files from the user site-packages at every start: a line there runs code.
  { path: '.local/lib', kind: 'dir' },
  // Tools with hooks in their config: git (core.fsmonitor, aliases, hooksPath), ssh (ProxyCommand,
  // LocalCommand, ~/.ssh/rc, authorized_keys), npm/yarn (script-shell, node-options, yarnPath),
  // direnv (direnvrc runs on every `cd`), tmux/screen (run-shell), gdb.
  { path: '.gitconfig', kind: 'file' },
  { path: '.config/git', kind: 'dir' },
  { path: '.ssh', kind: 'dir' },
  { path: '.npmrc', kind: 'file' },
  { path: '.yarnrc', kind: 'file' },
  { path: '.yarnrc.yml', kind: 'file' },
  { path: '.direnvrc', kind: 'file' },
  { path: '.config/direnv', kind: 'dir' },
  { path: '.tmux.conf', kind: 'file' },
  { path: '.config/tmux', kind: 'dir' },
  { path: '.screenrc', kind: 'file' },
  { path: '.gdbinit', kind: 'file' },
  // Editors run their start-up files (and plugins) when the user next opens them; VS Code's user
  // settings name programs it runs (git.path, terminal profiles).
  { path: '.vimrc', kind: 'file' },
  { path: '.vim', kind: 'dir' },
  { path: '.exrc', kind: 'file' },
  { path: '.config/nvim', kind: 'dir' },
  { path: '.emacs', kind: 'file' },
  { path: '.emacs.d', kind: 'dir' },
  { path: '.config/emacs', kind: 'dir' },
  { path: '.config/Code/User', kind: 'dir' },
];

/**
 * Environment variable names dropped by default. Globs: `*` is any run of characters (including
 * `/`: npm passes per-registry credentials as `npm_config_//host/:_authToken`), `?` one
 * character, case-insensitive (`github_token` is as secret as `GITHUB_TOKEN`).
 *
 * `*_KEY` is deliberately broad: every vendor spells its key `<VENDOR>_KEY` (OPENAI_KEY,
 * STRIPE_KEY, APP_KEY, MASTER_KEY, ENCRYPTION_KEY, DEPLOY_KEY, ...) and no list of vendors keeps
 * up. What it also drops (GPG_KEY holding a public fingerprint in Python's images, CACHE_KEY in
 * CI) is rarely needed by a command and comes back with `env.pass`. It needs the underscore, so
 * KEYTIMEOUT, KEYMAP or XKB_* stay. Likewise `*TOKEN` is a suffix, never `*TOKEN*`:
 * TOKENIZERS_PARALLELISM is an ordinary setting.
 */
export const SECRET_ENV_PATTERNS: readonly string[] = [
  // Tokens, keys, passwords.
  '*TOKEN',
  '*_TOKEN_*',
  'TOKEN_*', // TOKEN_GITHUB
  '*SECRET*',
  'KEY',
  '*_KEY',
  '*_KEY_*', // OPENAI_KEY_1, SIGNING_KEY_BASE64
  '*_SIGNINGKEY', // ORG_GRADLE_PROJECT_signingKey (Gradle's documented way to pass it)
  '*APIKEY*',
  '*_ACCESS_KEY*',
  '*PRIVATE_KEY*',
  '*PRIVATEKEY*',
  '*PASSWORD*',
  '*PASSWD*',
  '*PASSPHRASE*',
  '*_PASS',
  '*_PWD', // MYSQL_PWD; the underscore keeps PWD and OLDPWD
  '*_PW', // LDAP_BIND_PW
  '*_PSW', // Jenkins credentials() bindings: X_PSW
  '*_CREDS',
  '*_CREDS_*', // Jenkins: X_CREDS=user:password, X_CREDS_USR
  'SSHPASS',
  '*AUTHORIZATION*',
  '*CREDENTIAL*',
  '*_AUTH',
  '*_AUTH_*',
  'PAT',
  '*_PAT', // GITHUB_PAT
  '*JWT',
  '*_COOKIE',
  // Sessions of password managers and CLIs (BW_SESSION, OP_SESSION_<account>).
  '*_SESSION',
  'OP_SESSION_*',
  // Addresses that embed credentials: DSNs (Sentry's carries its key), webhooks (the URL is the
  // secret), connection strings (ADO.NET, Azure: `...;Password=...`).
  '*DSN',
  '*WEBHOOK*',
  '*CONNECTION_STRING*',
  '*CONNECTIONSTRING*',
  '*CONN_STR*',
  '*CONNSTR*',
  '*DATABASE_URL',
  // Headers and whole configs that carry credentials.
  'OTEL_*HEADERS', // OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=...
  '*KUBE*CONFIG*DATA*', // base64 kubeconfig in CI
  'BUNDLE_*__*', // Bundler per-host credentials: BUNDLE_GEMS__EXAMPLE__COM=user:password
  // npm: every per-registry setting (`//host/:_authToken`, `:_auth`, `:_password`, `:certfile`)
  // and the global `_auth`. Not `npm_config_*auth*`: that would drop `init-author-name`.
  'npm_config_//*',
  'npm_config__auth*',
  'npm_config_*authtoken*',
];

/**
 * Variables that only address host sockets, agents or displays. The sandbox cannot reach them
 * (no AF_UNIX sockets, own network namespace), so dropping them costs nothing and keeps a
 * command from even learning where they are; NOTIFY_SOCKET would otherwise invite `sd_notify`.
 * Dropping DISPLAY also helps: tools then pick a headless mode instead of failing to connect.
 */
export const HOST_ADDRESS_ENV: readonly string[] = [
  'NOTIFY_SOCKET',
  'LISTEN_FDS',
  'LISTEN_PID',
  'LISTEN_FDNAMES',
  '*SOCK', // SSH_AUTH_SOCK, SWAYSOCK, I3SOCK
  '*_SOCKET',
  'SSH_AGENT_PID',
  'GPG_AGENT_INFO',
  'GNOME_KEYRING_CONTROL',
  'DBUS_SESSION_BUS_ADDRESS',
  'DBUS_SYSTEM_BUS_ADDRESS',
  'DBUS_STARTER_ADDRESS',
  'SESSION_MANAGER',
  'DOCKER_HOST',
  'CONTAINER_HOST',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'XAUTHORITY',
  'TMUX',
  'PULSE_SERVER',
  'PIPEWIRE_REMOTE',
  'KITTY_LISTEN_ON',
  '*_IPC_HANDLE', // VSCODE_GIT_IPC_HANDLE
  '*IPC_HOOK*', // VSCODE_IPC_HOOK_CLI
];

/**
 * Values that are secrets whatever the variable is called: well-known token formats. Each is
 * anchored on a literal prefix, so a scan stays linear and ordinary values do not match.
 * (Credentials inside URLs, `scheme://user:password@host`, are found by `urlHasCredentials` in
 * env.ts: that check needs a little logic, not a regular expression.)
 */
export const SECRET_ENV_VALUE_PATTERNS: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{36,}/, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{22,}/,
  /\bglpat-[A-Za-z0-9_-]{20,}/, // GitLab
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/, // Slack
  /\bsk-[A-Za-z0-9_-]{20,}/, // OpenAI, Anthropic (sk-ant-...)
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/, // Stripe
  /\bnpm_[A-Za-z0-9]{36}\b/,
  /\bhf_[A-Za-z0-9]{30,}/, // Hugging Face
  /\bAIza[A-Za-z0-9_-]{35}/, // Google API keys
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, // AWS access key ids
  /-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----/, // PEM and PGP private keys
  /LS0tLS1CRUdJTi[A-Za-z0-9+/]*/, // base64 of "-----BEGIN" (a base64'd key or kubeconfig)
  /\b(?:basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}/i, // an HTTP Authorization value (GIT_CONFIG_VALUE_0=Authorization: Basic ...)
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./, // a JWT (header.payload.)
  /https:\/\/hooks\.slack\.com\/services\//,
  /https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\//,
  // key=value connection strings (libpq `password=`, ADO.NET `Pwd=`) and tokens in URL queries.
  /(?:^|[\s;&?])(?:password|passwd|pwd|access_token|api_key|apikey|sig)=[^\s;&]/i, // sig=: Azure SAS URLs
];

/** Always kept, whatever the patterns say: the command needs them to behave normally. */
export const ALWAYS_KEPT_ENV: readonly string[] = ['HOME', 'PATH', 'LANG', 'TERM', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR'];
