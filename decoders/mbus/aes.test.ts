/** AES-128, CBC, CTR and CMAC against FIPS-197 / RFC 4493 vectors and node:crypto; the EN 13757-4 CRC check value. */
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AesKey, cbcDecrypt, cbcEncrypt, cmac, ctrXor, decryptBlock, encryptBlock } from './aes.js';
import { crc16 } from './crc.js';

const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('AES-128 block: FIPS-197 Appendix C.1', () => {
  const k = new AesKey(h('000102030405060708090a0b0c0d0e0f'));
  const out = new Uint8Array(16);
  encryptBlock(k, h('00112233445566778899aabbccddeeff'), 0, out, 0);
  assert.equal(hex(out), '69c4e0d86a7b0430d8cdb78070b4c55a');
  decryptBlock(k, out, 0, out, 0);
  assert.equal(hex(out), '00112233445566778899aabbccddeeff');
});

test('CBC and CTR agree with node:crypto on random keys, IVs and lengths', () => {
  for (let i = 0; i < 100; i++) {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const k = new AesKey(key);
    const m = randomBytes(16 * (1 + (i % 8)));
    const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    const expected = Buffer.concat([c.update(m), c.final()]);
    const got = new Uint8Array(m.length);
    cbcEncrypt(k, iv, m, 0, m.length, got, 0);
    assert.equal(hex(got), expected.toString('hex'));
    const back = new Uint8Array(m.length);
    cbcDecrypt(k, iv, expected, 0, m.length, back, 0);
    assert.equal(hex(back), m.toString('hex'));
    const m2 = randomBytes(i % 53);
    const ctr = createCipheriv('aes-128-ctr', key, iv);
    const e2 = Buffer.concat([ctr.update(m2), ctr.final()]);
    const g2 = new Uint8Array(m2.length);
    ctrXor(k, iv, m2, 0, m2.length, g2, 0);
    assert.equal(hex(g2), e2.toString('hex'));
  }
});

test('CMAC: RFC 4493 examples 1-4', () => {
  const k = new AesKey(h('2b7e151628aed2a6abf7158809cf4f3c'));
  const m = h('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
  assert.equal(hex(cmac(k, m.subarray(0, 0))), 'bb1d6929e95937287fa37d129b756746');
  assert.equal(hex(cmac(k, m.subarray(0, 16))), '070a16b46b4d4144f79bdd9dd04a287c');
  assert.equal(hex(cmac(k, m.subarray(0, 40))), 'dfa66747de9ae63030ca32611497c827');
  assert.equal(hex(cmac(k, m)), '51f0bebf7e3b9d92fc49741779363cfe');
});

test('a key that is not 16 bytes is refused with MBUS_ERR_KEY', () => {
  assert.throws(() => new AesKey(new Uint8Array(15)), { name: 'MbusError', code: 'MBUS_ERR_KEY' });
});

test('CRC-16 EN 13757: check value of "123456789" is 0xC2B7', () => {
  assert.equal(crc16(new TextEncoder().encode('123456789')), 0xc2b7);
});
