/**
 * Security control byte (SC), the first octet of the security header SH = SC || IC
 * (Green Book 9.2.7.2.4.2):
 *
 *   bit 7      compression (C)
 *   bit 6      key-set: 0 = unicast key, 1 = broadcast key
 *   bit 5      encryption (E)
 *   bit 4      authentication (A)
 *   bits 3..0  security suite id (0 = AES-GCM-128)
 */
import { DlmsError } from '../errors.js';

export interface SecurityControl {
  suite: number;
  authenticated: boolean;
  encrypted: boolean;
  broadcastKey: boolean;
  compressed: boolean;
}

/** The security header SH = SC || IC at the start of ciphered content. */
export interface SecurityHeader {
  securityControl: number;
  invocationCounter: number;
}

/** Reads SC || IC from the start of `content`; `at` is its offset in the input, for errors. */
export function decodeSecurityHeader(content: Uint8Array, at = 0): SecurityHeader {
  if (content.length < 5) {
    throw new DlmsError('DLMS_ERR_TRUNCATED', `expected the security header SC || IC (5 bytes), ${content.length} left`, at);
  }
  const invocationCounter = ((content[1]! << 24) | (content[2]! << 16) | (content[3]! << 8) | content[4]!) >>> 0;
  return { securityControl: content[0]!, invocationCounter };
}

/** The protection applied to an APDU: the A and E bits of the security control byte. */
export type Protection = 'authentication' | 'encryption' | 'authenticated-encryption';

const COMPRESSION = 0x80;
const BROADCAST = 0x40;
const ENCRYPTION = 0x20;
const AUTHENTICATION = 0x10;

export function decodeSecurityControl(sc: number): SecurityControl {
  return {
    suite: sc & 0x0f,
    authenticated: (sc & AUTHENTICATION) !== 0,
    encrypted: (sc & ENCRYPTION) !== 0,
    broadcastKey: (sc & BROADCAST) !== 0,
    compressed: (sc & COMPRESSION) !== 0,
  };
}

export function encodeSecurityControl(v: SecurityControl): number {
  return (
    (v.suite & 0x0f) |
    (v.authenticated ? AUTHENTICATION : 0) |
    (v.encrypted ? ENCRYPTION : 0) |
    (v.broadcastKey ? BROADCAST : 0) |
    (v.compressed ? COMPRESSION : 0)
  );
}

/** The security control byte for a protection mode, suite and key-set. */
export function securityControlFor(protection: Protection, suite = 0, broadcastKey = false): number {
  return encodeSecurityControl({
    suite,
    authenticated: protection !== 'encryption',
    encrypted: protection !== 'authentication',
    broadcastKey,
    compressed: false,
  });
}

/** True when the protection in `sc` includes everything `required` asks for. */
export function satisfies(sc: number, required: Protection | 'none'): boolean {
  if (required === 'none') return true;
  const needA = required !== 'encryption';
  const needE = required !== 'authentication';
  return (!needA || (sc & AUTHENTICATION) !== 0) && (!needE || (sc & ENCRYPTION) !== 0);
}
