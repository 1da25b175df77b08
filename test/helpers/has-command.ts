import { execFileSync } from 'node:child_process';

/** Whether `command versionArgs...` runs here: optional tools whose tests skip visibly without them. */
export function hasCommand(command: string, ...versionArgs: string[]): boolean {
  try {
    execFileSync(command, versionArgs, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
