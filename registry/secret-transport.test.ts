/** Secrets in exports: RFC 3394 key wrap (its §4.3 test vector), RFC 5649 for passwords, the placeholder, sealed files. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from './errors.js';
import { exportSecret, importSecret, openSealed, sealFile, SECRET_PLACEHOLDER } from './secret-transport.js';

const KEK = Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex');
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof RegistryError ? `${e.code} ${e.field}` : String(e);
  }
  return 'no error';
};

it('wraps a 16-byte key as RFC 3394 §4.3 does (256-bit KEK) and unwraps it', () => {
  const wrapped = exportSecret({ kind: 'wrap', key: KEK }, '00112233445566778899AABBCCDDEEFF');
  assert.equal(wrapped, 'A256KW:' + Buffer.from('64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7', 'hex').toString('base64'));
  assert.equal(importSecret(wrapped, KEK, 'k'), '00112233445566778899AABBCCDDEEFF');
});

it('wraps passwords of any length with padding (RFC 5649); a wrong key or no key is refused naming the header', () => {
  for (const pw of ['1', '12345678', 'пароль-с-юникодом', 'x'.repeat(100)]) {
    const wrapped = exportSecret({ kind: 'wrap', key: KEK }, pw);
    assert.match(wrapped, /^A256KWP:/);
    assert.equal(importSecret(wrapped, KEK, 'pw'), pw);
  }
  const wrapped = exportSecret({ kind: 'wrap', key: KEK }, 'secret');
  assert.equal(code(() => importSecret(wrapped, Buffer.alloc(32, 1), 'pw')), 'TRANSPORT_KEY_MISMATCH headers.x-transport-key');
  assert.equal(code(() => importSecret(wrapped, undefined, 'pw')), 'TRANSPORT_KEY_REQUIRED headers.x-transport-key');
});

it('writes the placeholder by default; an import reads it as "keep" and takes a hand-written value as it is', () => {
  assert.equal(exportSecret({ kind: 'placeholder' }, 'secret'), SECRET_PLACEHOLDER);
  assert.equal(importSecret(SECRET_PLACEHOLDER, undefined, 'pw'), undefined);
  assert.equal(importSecret('12345678', undefined, 'pw'), '12345678');
});

it('seals a file with a passphrase; a wrong passphrase or an altered file does not open', () => {
  const doc = { Meta: { SchemaVersion: 'v1' }, Protocols: [{ Secrets: { DLMS_PASSWORD: { value: 'secret' } } }] };
  const sealed = sealFile('a long passphrase', doc);
  assert.ok(!JSON.stringify(sealed).includes('secret'));
  assert.deepEqual(openSealed(sealed, 'a long passphrase'), doc);
  assert.equal(code(() => openSealed(sealed, 'another passphrase')), 'PASSPHRASE_MISMATCH headers.x-export-passphrase');
  const altered = structuredClone(sealed);
  altered.Sealed.ciphertext = Buffer.from(Buffer.from(altered.Sealed.ciphertext, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64');
  assert.equal(code(() => openSealed(altered, 'a long passphrase')), 'PASSPHRASE_MISMATCH headers.x-export-passphrase');
  assert.equal(code(() => openSealed({ Sealed: { ...sealed.Sealed, format: 'other' } }, 'a long passphrase')), 'VALIDATION_ERROR body.Sealed.format');
});
