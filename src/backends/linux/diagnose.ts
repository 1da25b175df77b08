import { SandboxSetupError, SandboxUnavailableError } from '../../errors.js';

/** Kernel knobs read during probing, used only to name the right fix. */
export interface UsernsFacts {
  /** /proc/sys/user/max_user_namespaces, when readable. */
  maxUserNamespaces?: number;
  /** /proc/sys/kernel/apparmor_restrict_unprivileged_userns (Ubuntu >= 23.10). */
  apparmorRestrictsUserns?: boolean;
  /** /proc/sys/kernel/unprivileged_userns_clone (Debian/Ubuntu patch), when present. */
  unprivilegedUsernsClone?: boolean;
  euid: number;
}

/**
 * Turns bwrap's stderr from a failed trial run into the one error that says what is wrong
 * and how to fix it. Pure, so every branch is unit-tested with recorded messages.
 */
export function diagnoseBwrapFailure(stderr: string, facts: UsernsFacts): SandboxUnavailableError | SandboxSetupError {
  const text = stderr.trim();
  const reasons = [text || '(bwrap printed nothing)'];
  const usernsFailure = /creating new namespace|setting up uid map|no permissions to creat|unshare.*(operation not permitted|no space left)|CLONE_NEWUSER|user namespace/i.test(text);

  if (facts.apparmorRestrictsUserns && (usernsFailure || /permission denied/i.test(text))) {
    return new SandboxUnavailableError('ERR_CORDON_USERNS_APPARMOR', 'AppArmor forbids unprivileged user namespaces on this system (Ubuntu 23.10+ restriction), so bwrap cannot build the sandbox', reasons, {
      hint: 'allow bwrap an AppArmor profile with "userns," (e.g. /etc/apparmor.d/bwrap, see the README), or run: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0',
    });
  }
  if (facts.maxUserNamespaces === 0 || facts.unprivilegedUsernsClone === false) {
    return new SandboxUnavailableError('ERR_CORDON_USERNS_DISABLED', 'user namespaces are disabled on this kernel, so bwrap cannot build the sandbox', reasons, {
      hint:
        facts.maxUserNamespaces === 0
          ? 'enable them: sudo sysctl user.max_user_namespaces=15000 (persist in /etc/sysctl.d/)'
          : 'enable them: sudo sysctl kernel.unprivileged_userns_clone=1 (persist in /etc/sysctl.d/)',
    });
  }
  if (usernsFailure || /RTM_NEWADDR|loopback|operation not permitted/i.test(text)) {
    return new SandboxUnavailableError('ERR_CORDON_USERNS_BLOCKED', 'creating namespaces is blocked here: by a container runtime\'s seccomp profile, missing privileges, or an outer sandbox that forbids nested user namespaces', reasons, {
      hint: 'in Docker run with --security-opt seccomp=unconfined (or a profile that allows unshare/clone with CLONE_NEWUSER); inside another sandbox (bwrap --disable-userns, cordon itself) run cordon outside it instead',
    });
  }
  return new SandboxSetupError(`bwrap could not set up the sandbox: ${text || 'no message'}`, stderr, {
    hint: 'run `cordon doctor` to see what this machine supports',
  });
}
