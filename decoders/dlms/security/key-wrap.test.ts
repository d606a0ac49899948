import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { unwrapKey, wrapKey } from './key-wrap.js';
import { assertDlmsError } from '../testkit.js';

// RFC 3394 section 4 test vectors (https://www.rfc-editor.org/rfc/rfc3394#section-4).
const VECTORS = [
  {
    name: '4.1 128-bit key data with a 128-bit KEK',
    kek: '000102030405060708090A0B0C0D0E0F',
    key: '00112233445566778899AABBCCDDEEFF',
    wrapped: '1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5',
  },
  {
    name: '4.6 256-bit key data with a 256-bit KEK',
    kek: '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
    key: '00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F',
    wrapped: '28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21',
  },
];

test('RFC 3394 vectors wrap and unwrap', () => {
  for (const v of VECTORS) {
    assert.equal(toHex(wrapKey(fromHex(v.kek), fromHex(v.key))), v.wrapped, v.name);
    assert.equal(toHex(unwrapKey(fromHex(v.kek), fromHex(v.wrapped))), v.key, v.name);
  }
});

test('unwrap refuses altered data and a wrong KEK; bad lengths are refused up front', () => {
  const { kek, wrapped } = VECTORS[0]!;
  const w = fromHex(wrapped);
  for (let i = 0; i < w.length; i++) {
    const bad = w.slice();
    bad[i] ^= 0x80;
    assertDlmsError(() => unwrapKey(fromHex(kek), bad), 'DLMS_ERR_SECURITY');
  }
  assertDlmsError(() => unwrapKey(fromHex('FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'), w), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => unwrapKey(fromHex(kek), w.subarray(0, 20)), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => unwrapKey(fromHex(kek), w.subarray(0, 16)), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => unwrapKey(fromHex('0001'), w), 'DLMS_ERR_SECURITY');
  assertDlmsError(() => wrapKey(fromHex(kek), fromHex('0011223344556677')), 'DLMS_ERR_ENCODE');
  assertDlmsError(() => wrapKey(fromHex(kek), new Uint8Array(20)), 'DLMS_ERR_ENCODE');
});
