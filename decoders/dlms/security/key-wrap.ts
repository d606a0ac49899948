/**
 * AES key wrap (RFC 3394) with the default initial value A6A6A6A6A6A6A6A6, as used to transport keys:
 * Security Setup key_transfer (KEK = master key) and general-ciphering wrapped-key.
 * OpenSSL implements it as id-aes{128,192,256}-wrap; node sets the wrap-allow flag itself.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DlmsError } from '../errors.js';

const DEFAULT_IV = new Uint8Array(8).fill(0xa6);

function algorithm(kek: Uint8Array): string {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) {
    throw new DlmsError('DLMS_ERR_SECURITY', `key encryption key must be 16, 24 or 32 bytes, got ${kek.length}`);
  }
  return `id-aes${kek.length * 8}-wrap`;
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Wraps `key` (a multiple of 8 bytes, at least 16) under `kek`; the result is 8 bytes longer. */
export function wrapKey(kek: Uint8Array, key: Uint8Array): Uint8Array {
  const alg = algorithm(kek);
  if (key.length < 16 || key.length % 8 !== 0) {
    throw new DlmsError('DLMS_ERR_ENCODE', `a wrapped key must be a multiple of 8 bytes and at least 16, got ${key.length}`);
  }
  const c = createCipheriv(alg, kek, DEFAULT_IV);
  return view(Buffer.concat([c.update(key), c.final()]));
}

/** Unwraps and checks the integrity value; a wrong KEK or altered data is DLMS_ERR_SECURITY. */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const alg = algorithm(kek);
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new DlmsError('DLMS_ERR_SECURITY', `wrapped key must be a multiple of 8 bytes and at least 24, got ${wrapped.length}`);
  }
  const d = createDecipheriv(alg, kek, DEFAULT_IV);
  try {
    return view(Buffer.concat([d.update(wrapped), d.final()]));
  } catch {
    throw new DlmsError('DLMS_ERR_SECURITY', 'key unwrap integrity check failed (wrong key encryption key or altered wrapped key)');
  }
}
