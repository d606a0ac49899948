/**
 * Security suite 0 (AES-GCM-128; suite 2 uses AES-GCM-256 the same way) applied to an xDLMS APDU,
 * Green Book 9.2.7.2.4 and Table 38:
 *
 *   protected = SC || IC || (C | I) || T          IC: invocation counter, 4 octets, big-endian
 *   IV        = system title (8) || IC (4)        system title of the party applying the protection
 *   T         = 12 octets
 *
 *   authentication only:       P = -,  A = SC || AK || [general-ciphering fields] || I
 *   encryption only:           P = I,  A = -      (no tag: GCM without GHASH, i.e. AES-CTR from J0+1)
 *   authenticated encryption:  P = I,  A = SC || AK || [general-ciphering fields]
 *
 * Every failure of the key material or the tag is a DlmsError('DLMS_ERR_SECURITY'); node:crypto is
 * only ever called with inputs checked beforehand, and its verdict is translated.
 */
import { createCipheriv, createDecipheriv, timingSafeEqual, type CipherGCMTypes } from 'node:crypto';
import { DlmsError } from '../errors.js';
import type { Writer } from '../axdr/writer.js';
import { decodeSecurityHeader } from './control.js';

export const TAG_LENGTH = 12;
export const SYSTEM_TITLE_LENGTH = 8;
export const SECURITY_HEADER_LENGTH = 5;

const COMPRESSION = 0x80;
const ENCRYPTION = 0x20;
const AUTHENTICATION = 0x10;

export interface ProtectParams {
  /** Security control byte. */
  sc: number;
  /** Block cipher key (EK): global unicast/broadcast, dedicated, or the general-ciphering key. */
  key: Uint8Array;
  /** Authentication key (AK); required when SC has the authentication bit. */
  authenticationKey?: Uint8Array;
  /** System title of the party applying the protection. */
  systemTitle: Uint8Array;
  invocationCounter: number;
  /** general-ciphering only: transaction-id .. other-information as encoded (length || value). */
  extraAad?: Uint8Array;
}

export type UnprotectParams = Omit<ProtectParams, 'sc' | 'invocationCounter'>;

export interface Unprotected {
  apdu: Uint8Array;
  securityControl: number;
  invocationCounter: number;
}

function security(message: string, at = -1): DlmsError {
  return new DlmsError('DLMS_ERR_SECURITY', message, at);
}

/** Checks what node:crypto would otherwise reject with its own exception. */
function checkMaterial(sc: number, p: UnprotectParams, at: number): void {
  if (sc & COMPRESSION) throw security('compressed APDUs (SC bit 7) are not supported', at);
  const suite = sc & 0x0f;
  if (suite > 2) throw security(`security suite ${suite} is not supported`, at);
  const keyLength = suite === 2 ? 32 : 16;
  if (p.key.length !== keyLength) {
    throw security(`security suite ${suite} needs a ${keyLength}-byte block cipher key, got ${p.key.length}`);
  }
  if (sc & AUTHENTICATION) {
    if (!p.authenticationKey) throw security('authentication key (AK) missing for an authenticated APDU');
    if (p.authenticationKey.length !== keyLength) {
      throw security(`security suite ${suite} needs a ${keyLength}-byte authentication key, got ${p.authenticationKey.length}`);
    }
  }
  if (p.systemTitle.length !== SYSTEM_TITLE_LENGTH) {
    throw security(`system title must be ${SYSTEM_TITLE_LENGTH} bytes, got ${p.systemTitle.length}`, at);
  }
}

// IV and AAD live only for one node:crypto call: Buffer.allocUnsafe takes them from Node's shared pool instead
// of a new ArrayBuffer each (every byte is written below).
function initializationVector(systemTitle: Uint8Array, ic: number, counterBlock: boolean): Buffer {
  const iv = Buffer.allocUnsafe(counterBlock ? 16 : 12);
  iv.set(systemTitle, 0);
  iv.writeUInt32BE(ic >>> 0, 8);
  // AES-CTR starting where GCM encrypts: inc32(J0) with J0 = IV || 00000001.
  if (counterBlock) iv.writeUInt32BE(2, 12);
  return iv;
}

function additionalData(sc: number, ak: Uint8Array, extra: Uint8Array | undefined, apdu?: Uint8Array): Buffer {
  const extraLength = extra?.length ?? 0;
  const a = Buffer.allocUnsafe(1 + ak.length + extraLength + (apdu?.length ?? 0));
  a[0] = sc;
  a.set(ak, 1);
  if (extra) a.set(extra, 1 + ak.length);
  if (apdu) a.set(apdu, 1 + ak.length + extraLength);
  return a;
}

const gcmAlgorithm = (key: Uint8Array): CipherGCMTypes => (key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm');
const ctrAlgorithm = (key: Uint8Array): string => (key.length === 32 ? 'aes-256-ctr' : 'aes-128-ctr');

function gmac(key: Uint8Array, iv: Buffer, aad: Buffer): Buffer {
  const c = createCipheriv(gcmAlgorithm(key), key, iv, { authTagLength: TAG_LENGTH });
  c.setAAD(aad);
  c.final();
  return c.getAuthTag();
}

function ctr(key: Uint8Array, systemTitle: Uint8Array, ic: number, data: Uint8Array): Buffer {
  const c = createCipheriv(ctrAlgorithm(key), key, initializationVector(systemTitle, ic, true));
  const out = c.update(data);
  c.final(); // a stream mode: nothing held back
  return out;
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Length of SC || IC || (C | I) || T for a plain APDU of `plainLength` bytes. */
export function protectedLength(sc: number, plainLength: number): number {
  return SECURITY_HEADER_LENGTH + plainLength + (sc & AUTHENTICATION ? TAG_LENGTH : 0);
}

/** Writes SC || IC || (C | I) || T. */
export function protect(w: Writer, plain: Uint8Array, p: ProtectParams): void {
  const { sc, key, systemTitle, invocationCounter: ic } = p;
  if (!Number.isInteger(ic) || ic < 0 || ic > 0xffffffff) {
    throw new DlmsError('DLMS_ERR_ENCODE', `invocation counter ${ic} is not a 32-bit unsigned integer`);
  }
  checkMaterial(sc, p, -1);
  w.u8(sc).u32(ic);
  const authenticated = (sc & AUTHENTICATION) !== 0;
  if (!(sc & ENCRYPTION)) {
    w.bytes(plain);
    if (authenticated) w.bytes(gmac(key, initializationVector(systemTitle, ic, false), additionalData(sc, p.authenticationKey!, p.extraAad, plain)));
    return;
  }
  if (!authenticated) {
    w.bytes(ctr(key, systemTitle, ic, plain));
    return;
  }
  const c = createCipheriv(gcmAlgorithm(key), key, initializationVector(systemTitle, ic, false), { authTagLength: TAG_LENGTH });
  c.setAAD(additionalData(sc, p.authenticationKey!, p.extraAad));
  w.bytes(c.update(plain));
  c.final();
  w.bytes(c.getAuthTag());
}

/**
 * Removes the protection from SC || IC || (C | I) || T. `at` is the offset of `content` in the
 * received bytes, so that errors point into the input. The returned APDU is a view into `content`
 * when it was not encrypted.
 */
export function unprotect(content: Uint8Array, p: UnprotectParams, at: number): Unprotected {
  const { securityControl: sc, invocationCounter: ic } = decodeSecurityHeader(content, at);
  checkMaterial(sc, p, at);
  const authenticated = (sc & AUTHENTICATION) !== 0;
  const encrypted = (sc & ENCRYPTION) !== 0;
  const bodyEnd = content.length - (authenticated ? TAG_LENGTH : 0);
  if (bodyEnd < SECURITY_HEADER_LENGTH) {
    throw new DlmsError('DLMS_ERR_TRUNCATED', `expected a ${TAG_LENGTH}-byte authentication tag, ${content.length - SECURITY_HEADER_LENGTH} left`, at + SECURITY_HEADER_LENGTH);
  }
  const body = content.subarray(SECURITY_HEADER_LENGTH, bodyEnd);
  const tag = content.subarray(bodyEnd);
  const tagMismatch = (): DlmsError =>
    security('authentication tag mismatch (wrong key, system title or invocation counter, or tampered APDU)', at + bodyEnd);
  const iv = initializationVector(p.systemTitle, ic, false);
  let apdu: Uint8Array;
  if (!encrypted) {
    if (authenticated && !timingSafeEqual(gmac(p.key, iv, additionalData(sc, p.authenticationKey!, p.extraAad, body)), tag)) {
      throw tagMismatch();
    }
    apdu = body;
  } else if (!authenticated) {
    apdu = view(ctr(p.key, p.systemTitle, ic, body));
  } else {
    const d = createDecipheriv(gcmAlgorithm(p.key), p.key, iv, { authTagLength: TAG_LENGTH });
    d.setAAD(additionalData(sc, p.authenticationKey!, p.extraAad));
    d.setAuthTag(tag);
    const plain = d.update(body);
    try {
      d.final();
    } catch {
      throw tagMismatch();
    }
    apdu = view(plain);
  }
  return { apdu, securityControl: sc, invocationCounter: ic };
}

/** GMAC tag over SC || AK || data with IV = system title || IC (HLS mechanism 5). */
export function gmacTag(sc: number, p: Omit<ProtectParams, 'sc' | 'extraAad'>, data: Uint8Array): Uint8Array {
  checkMaterial(sc, p, -1);
  return view(gmac(p.key, initializationVector(p.systemTitle, p.invocationCounter, false), additionalData(sc, p.authenticationKey!, undefined, data)));
}
