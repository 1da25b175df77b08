import { isCordonError } from '../errors.js';
import type { DoctorCheck } from './types.js';

/** A `cordon doctor` line from a thrown error: the code, the message and the fix. */
export function failedCheck(name: string, error: unknown): DoctorCheck {
  if (isCordonError(error)) return { name, ok: false, detail: `${error.code}: ${error.message}`, ...(error.hint ? { hint: error.hint } : {}) };
  return { name, ok: false, detail: String(error) };
}
