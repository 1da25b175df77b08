/**
 * Where build tools keep their caches during a sandboxed run on macOS: under the run's own
 * directory, never in the user's real caches.
 *
 * The real caches are outside every writable root, so under the profile a tool's cache
 * writes fail, and some tools treat that as fatal (`go build` stops when it cannot initialise
 * its build cache; clang reports it cannot write the module cache). Granting them would be worse: each is
 * read back LATER, unsandboxed, by the user's own tools, which trust what they find there.
 * A command that can write the clang module cache (`$(getconf DARWIN_USER_CACHE_DIR)clang/
 * ModuleCache`), Go's build cache (`~/Library/Caches/go-build`, keyed by content hashes
 * nobody re-checks on a hit), or npm's cache (`~/.npm/_cacache`, whose index maps keys to
 * content) can plant a compiled object or package the user's next build picks up. So each
 * tool is pointed at `${runDir}/cache/<tool>`, which is writable, private to this command,
 * and removed with the run dir. Cost: every run starts cold.
 *
 * Chosen, each with why:
 * - GOCACHE: the Go build cache (compiled packages, test results): a poisoning target, and
 *   `go build` refuses to run without a writable one.
 * - CLANG_MODULE_CACHE_PATH: clang's precompiled modules (also used by swiftc and xcrun
 *   tools); by default in DARWIN_USER_CACHE_DIR, shared by every later compile of the user.
 * - npm_config_cache: npm writes its logs (`_logs`) and cacache there even for `npm run`;
 *   the cache's content feeds later installs.
 * - PIP_CACHE_DIR: pip's wheel and HTTP cache (~/Library/Caches/pip): built wheels are
 *   installed as-is by later `pip install`s.
 * - XDG_CACHE_HOME: the generic one most cross-platform tools honour on macOS too (uv,
 *   pre-commit, ruff, black, mypy, node-gyp, many others): catches what the list misses.
 * Deliberately NOT set:
 * - GOMODCACHE: the module cache holds downloaded sources verified against go.sum and the
 *   checksum database; it stays readable (builds work offline from it) and unwritable (the
 *   network is off, so nothing would be downloaded into it anyway). Pointing it at an empty
 *   directory would break every build that needs a module.
 * - DARWIN_USER_CACHE_DIR itself (`getconf DARWIN_USER_CACHE_DIR`) is not an environment
 *   variable: confstr() asks the system, so it cannot be redirected. It stays read-only; a
 *   tool that insists on writing there fails with EPERM.
 *
 * Tools that start their own Seatbelt sandbox (`swift build` for package manifests and
 * plugins, Homebrew's source builds) cannot run inside this one: applying a second profile
 * (sandbox_init / sandbox-exec) fails in an already sandboxed process, and Seatbelt does not
 * nest. Where the tool has a switch to skip its own sandbox (`swift build --disable-sandbox`),
 * that is reasonable here, since cordon's profile is then the boundary.
 */
export function toolCacheEnv(runDir: string): Record<string, string> {
  const cache = `${runDir}/cache`;
  return {
    GOCACHE: `${cache}/go-build`,
    CLANG_MODULE_CACHE_PATH: `${cache}/clang-modules`,
    npm_config_cache: `${cache}/npm`,
    PIP_CACHE_DIR: `${cache}/pip`,
    XDG_CACHE_HOME: `${cache}/xdg`,
  };
}
