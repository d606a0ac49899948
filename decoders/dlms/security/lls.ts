/**
 * Low level security (mechanism 1, Green Book 9.2.7.3): the client sends the password as the
 * calling-authentication-value of the AARQ; the server compares it with the secret of the
 * association. The comparison runs over fixed-size digests so its time reveals neither the
 * position of the first wrong byte nor the password length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The calling-authentication-value octets for a password (text is sent as UTF-8). */
export function llsAuthenticationValue(password: string | Uint8Array): Uint8Array {
  return typeof password === 'string' ? new TextEncoder().encode(password) : password;
}

/** Server side: true when the received authentication value equals the expected password. */
export function verifyLlsPassword(received: Uint8Array, expected: Uint8Array): boolean {
  const a = createHash('sha256').update(received).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
