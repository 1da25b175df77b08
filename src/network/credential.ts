import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CordonError } from '../errors.js';

/** The user name every client presents; the password is the per-sandbox credential. */
export const PROXY_USER = 'cordon';

// URL-safe so that it can sit in `http://cordon:CREDENTIAL@127.0.0.1:PORT` without escaping,
// at most 255 bytes because SOCKS5 carries the password with a one-byte length.
const CREDENTIAL_SHAPE = /^[A-Za-z0-9_-]{16,255}$/;

/** 32 random bytes, base64url: other local processes cannot guess it. */
export function newCredential(): string {
  return randomBytes(32).toString('base64url');
}

export function validateCredential(credential: string): string {
  if (typeof credential !== 'string' || !CREDENTIAL_SHAPE.test(credential)) {
    throw new CordonError('ERR_CORDON_SETUP_FAILED', 'the network proxy credential must be 16 to 255 characters from A-Z a-z 0-9 _ -', {
      hint: 'omit `credential` and let cordon generate one per sandbox',
    });
  }
  return credential;
}

/** Constant-time comparison, so the time a wrong guess takes says nothing about the right one. */
function sameSecret(given: Buffer, expected: string): boolean {
  const want = Buffer.from(expected, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}

/** SOCKS5 username/password (RFC 1929), bytes as the client sent them. `null`: no credential asked. */
export function userPassMatches(user: Buffer, pass: Buffer, credential: string | null): boolean {
  if (credential === null) return true;
  // Evaluate both so that a wrong user name does not answer faster than a wrong password.
  const userOk = sameSecret(user, PROXY_USER);
  const passOk = sameSecret(pass, credential);
  return userOk && passOk;
}

/** `Proxy-Authorization: Basic base64(cordon:CREDENTIAL)`; anything else (absent, other schemes, repeated) fails. `null`: none asked. */
export function basicAuthMatches(header: string | string[] | undefined, credential: string | null): boolean {
  if (credential === null) return true;
  if (typeof header !== 'string') return false;
  const match = /^\s*basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header);
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return false;
  return userPassMatches(decoded.subarray(0, colon), decoded.subarray(colon + 1), credential);
}
