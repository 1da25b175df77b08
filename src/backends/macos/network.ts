import type { ProfileFeatures } from './features.js';
import { seatbeltTmpDirs, type RunFacts } from './fs-rules.js';
import { comment, rule, sbplString, subpath, type ParamTable } from './sbpl.js';

/**
 * The profile's network section: every network operation denied (tagged, so Seatbelt's log
 * attributes refusals to this run), then the only grants, each as narrow as SBPL allows:
 * - with a network allowlist, TCP connections to the filtering proxy's port on localhost, which
 *   enforces the allowlist (cordon's proxy runs on the host; see proxyRules);
 * - unix sockets under the run's own directory (runSocketRules).
 * Without a proxy the text is exactly what it was before the allowlist existed.
 */
export function networkRules(run: RunFacts, params: ParamTable, message: string, features: Readonly<ProfileFeatures>): string[] {
  return [
    comment(
      run.proxyPort === undefined
        ? 'Network: none. A domain allowlist needs the filtering proxy (plan() refuses it).'
        : 'Network: only the filtering proxy, which enforces network.allow; every other address (DNS included) is denied.',
    ),
    rule('deny', ['network*'], [], message),
    ...(run.proxyPort === undefined ? [] : proxyRules(run.proxyPort)),
    ...(features.runSockets ? runSocketRules(run, params) : []),
  ];
}

/**
 * The proxy's port, or a TypeError naming the bad value. This is the one number that becomes
 * SBPL text (`"localhost:PORT"`): a network address is a string literal, not something
 * `(param ...)` carries in the forms srt and Codex ship, and an integer in 1..65535 has no
 * character that could end the literal or add a rule. Checked where it is spliced (here) and by
 * planMacos before anything else, so a bad port never reaches a profile.
 */
export function checkProxyPort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`proxy.port ${String(port)} is not a TCP port (an integer from 1 to 65535)`);
  }
  return port;
}

/**
 * One grant: a connection to the proxy's port on localhost, which Seatbelt reads as the
 * loopback addresses (127.0.0.1, where the proxy listens, and ::1); SBPL accepts only `*` or
 * `localhost` as the host of a network address. Nothing else: no other port, no bind or inbound
 * (the command serves nothing), no UDP, no DNS (the mDNSResponder socket stays denied: the proxy
 * resolves names, socks5h:// in ALL_PROXY).
 *
 * `remote ip`, exactly the form srt (src/sandbox/macos-sandbox-utils.ts) and Codex
 * (codex-rs/sandboxing/src/seatbelt.rs) ship for their proxy ports: this backend cannot be run
 * here, so it uses the form known to work on real macOS. `ip` also admits UDP to that port
 * number, where nothing of ours listens (the proxy speaks only TCP); `remote tcp` would be
 * narrower but is unproven. Neither project grants `system-socket` for AF_INET/AF_INET6 for its proxy
 * (Codex allows only AF_SYSTEM, and AF_UNIX for unix sockets); nor does cordon. Were either form
 * wrong on some macOS, the connection (or the whole profile) would be refused: a loud failure,
 * never a wider grant.
 */
function proxyRules(port: number): string[] {
  const address = sbplString(`localhost:${checkProxyPort(port)}`);
  return [
    comment(`The filtering proxy: localhost:${port} (127.0.0.1 and ::1), nothing else.`),
    rule('allow', ['network-outbound'], [`(remote ip ${address})`]),
  ];
}

/**
 * Unix sockets under the run's own directory only: Python multiprocessing managers and
 * forkserver, build daemons and test servers bind a socket in TMPDIR (which is the run dir)
 * and connect to it. The forms are the ones Codex's profile emits for its unix-socket
 * allowlist (`system-socket` for AF_UNIX, `network-bind` with `(local unix-socket ...)`,
 * `network-outbound` with `(remote unix-socket ...)`). Nothing else: not the shared /private/tmp
 * or $TMPDIR, where the user's ssh-agent, docker and other daemons keep theirs (and no IP:
 * that is proxyRules' alone). Without a run dir (a plan for review only) there is no grant.
 */
function runSocketRules(run: RunFacts, params: ParamTable): string[] {
  const dirs = seatbeltTmpDirs(run);
  if (dirs.length === 0) return [];
  const under = dirs.map((d) => subpath(params.name('TMP_DIR', d)));
  return [
    comment("Unix sockets: bound and connected under the run's own directory, nowhere else."),
    rule('allow', ['system-socket'], ['(socket-domain AF_UNIX)']),
    rule('allow', ['network-bind'], under.map((f) => `(local unix-socket ${f})`)),
    rule('allow', ['network-outbound'], under.map((f) => `(remote unix-socket ${f})`)),
  ];
}
