/**
 * Secrets leaving the HES in exports (docs/security.md "Secret export"). By default an export carries a
 * placeholder per secret, which an import reads as "keep what is stored". When a caller holding
 * Export.Secrets asks for the secrets, each one is wrapped under a transport key the caller gives
 * (AES-256 key wrap: RFC 3394 for the 16-byte DLMS keys, RFC 5649 with padding for passwords), or the whole
 * JSON file is sealed with a passphrase (scrypt → AES-256-GCM). Nothing here is ever logged.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { RegistryError } from './errors.js';

/** What an export writes for a secret that is set, in JSON (`{ "secretsSet": true }`) and XLSX cells (this text). */
export const SECRET_PLACEHOLDER = '{secretsSet}';
/** Transport key and passphrase travel in headers only: URLs end up in access logs. */
export const TRANSPORT_KEY_HEADER = 'x-transport-key';
export const PASSPHRASE_HEADER = 'x-export-passphrase';

/** RFC 3394 §2.2.3.1 default IV and RFC 5649 §3 alternative IV prefix. */
const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
const KWP_IV = Buffer.from('A65959A6', 'hex');
/** Wrapped values: `A256KW:<base64>` (a key, unwrapped to upper-case hex) or `A256KWP:<base64>` (a password, UTF-8). */
const WRAPPED = /^(A256KWP?):([A-Za-z0-9+/]+={0,2})$/;

/** How an export treats secrets: placeholders, or each secret wrapped under the caller's transport key. */
export type SecretExport = { kind: 'placeholder' } | { kind: 'wrap'; key: Buffer };

/** The transport key of a header: 32 bytes as 64 hex digits. */
export function transportKey(text: unknown): Buffer {
  const field = `headers.${TRANSPORT_KEY_HEADER}`;
  if (typeof text !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(text)) {
    throw new RegistryError('VALIDATION_ERROR', `${field} must be an AES-256 key: 64 hex digits`, 400, field);
  }
  return Buffer.from(text, 'hex');
}

const isKey = (value: string) => /^[0-9A-Fa-f]{32}$/.test(value);

/** A secret as an export writes it. */
export function exportSecret(mode: SecretExport, value: string): string {
  if (mode.kind === 'placeholder') return SECRET_PLACEHOLDER;
  const key = isKey(value);
  const c = createCipheriv(key ? 'id-aes256-wrap' : 'id-aes256-wrap-pad', mode.key, key ? KW_IV : KWP_IV);
  const wrapped = Buffer.concat([c.update(key ? Buffer.from(value, 'hex') : Buffer.from(value, 'utf8')), c.final()]);
  return `${key ? 'A256KW' : 'A256KWP'}:${wrapped.toString('base64')}`;
}

export function isWrapped(text: string): boolean {
  return WRAPPED.test(text);
}

/**
 * What an import makes of a secret's text: undefined for the placeholder (keep the stored one), the
 * unwrapped value for a wrapped one (the integrity check of the key wrap refuses a wrong transport key),
 * else the text itself (a secret written by hand).
 */
export function importSecret(text: string, key: Buffer | undefined, field: string): string | undefined {
  if (text === SECRET_PLACEHOLDER) return undefined;
  const m = WRAPPED.exec(text);
  if (!m) return text;
  const header = `headers.${TRANSPORT_KEY_HEADER}`;
  if (!key) throw new RegistryError('TRANSPORT_KEY_REQUIRED', `${field} is wrapped: send the transport key it was exported with in ${TRANSPORT_KEY_HEADER}`, 400, header);
  const pad = m[1] === 'A256KWP';
  try {
    const d = createDecipheriv(pad ? 'id-aes256-wrap-pad' : 'id-aes256-wrap', key, pad ? KWP_IV : KW_IV);
    const plain = Buffer.concat([d.update(Buffer.from(m[2], 'base64')), d.final()]);
    return pad ? plain.toString('utf8') : plain.toString('hex').toUpperCase();
  } catch {
    throw new RegistryError('TRANSPORT_KEY_MISMATCH', `${field} does not unwrap with this transport key (wrong key or altered value)`, 400, header);
  }
}

/**
 * A JSON file sealed with a passphrase: `{ "Sealed": { format, kdf, salt, iv, tag, ciphertext } }`, the key
 * derived with scrypt (N=32768, r=8, p=1, 16-byte salt) and the file encrypted with AES-256-GCM; the format
 * name is the associated data.
 */
export const SEALED_FORMAT = 'hes-config-scrypt-aes256gcm-v1';
const SEAL_KDF = { name: 'scrypt', N: 32768, r: 8, p: 1 } as const;

export interface SealedFile {
  Sealed: { format: string; kdf: { name: string; N: number; r: number; p: number; salt: string }; iv: string; tag: string; ciphertext: string };
}

const passphraseKey = (passphrase: string, salt: Buffer, kdf: { N: number; r: number; p: number }) =>
  scryptSync(passphrase, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });

export function checkPassphrase(text: unknown): string {
  const field = `headers.${PASSPHRASE_HEADER}`;
  if (typeof text !== 'string' || text.length < 12 || text.length > 200) throw new RegistryError('VALIDATION_ERROR', `${field} must have 12 to 200 characters`, 400, field);
  return text;
}

export function sealFile(passphrase: string, doc: unknown): SealedFile {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', passphraseKey(passphrase, salt, SEAL_KDF), iv);
  c.setAAD(Buffer.from(SEALED_FORMAT));
  const ciphertext = Buffer.concat([c.update(JSON.stringify(doc), 'utf8'), c.final()]);
  return {
    Sealed: {
      format: SEALED_FORMAT, kdf: { ...SEAL_KDF, salt: salt.toString('base64') },
      iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64'),
    },
  };
}

export function isSealed(doc: unknown): doc is SealedFile {
  return !!doc && typeof doc === 'object' && 'Sealed' in doc;
}

/** The document inside a sealed file; a wrong passphrase (or an altered file) fails GCM's check. */
export function openSealed(file: SealedFile, passphrase: string | undefined): unknown {
  const s = file.Sealed as Partial<SealedFile['Sealed']> | null;
  const bad = (what: string) => new RegistryError('VALIDATION_ERROR', `body.Sealed.${what} is missing or malformed`, 400, `body.Sealed.${what}`);
  if (!s || s.format !== SEALED_FORMAT) throw new RegistryError('VALIDATION_ERROR', `body.Sealed.format must be "${SEALED_FORMAT}"`, 400, 'body.Sealed.format');
  const kdf = s.kdf;
  if (!kdf || kdf.name !== 'scrypt' || ![kdf.N, kdf.r, kdf.p].every(Number.isInteger) || kdf.N > 1 << 20 || kdf.r > 16 || kdf.p > 4 || typeof kdf.salt !== 'string') throw bad('kdf');
  for (const k of ['iv', 'tag', 'ciphertext'] as const) if (typeof s[k] !== 'string') throw bad(k);
  const header = `headers.${PASSPHRASE_HEADER}`;
  if (passphrase === undefined) throw new RegistryError('PASSPHRASE_REQUIRED', `the file is sealed: send its passphrase in ${PASSPHRASE_HEADER}`, 400, header);
  try {
    const d = createDecipheriv('aes-256-gcm', passphraseKey(passphrase, Buffer.from(kdf.salt, 'base64'), kdf), Buffer.from(s.iv!, 'base64'));
    d.setAAD(Buffer.from(SEALED_FORMAT));
    d.setAuthTag(Buffer.from(s.tag!, 'base64'));
    return JSON.parse(Buffer.concat([d.update(Buffer.from(s.ciphertext!, 'base64')), d.final()]).toString('utf8'));
  } catch {
    throw new RegistryError('PASSPHRASE_MISMATCH', 'the file does not open with this passphrase (wrong passphrase or altered file)', 400, header);
  }
}
