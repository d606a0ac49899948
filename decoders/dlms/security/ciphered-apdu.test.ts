import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DlmsError } from '../errors.js';
import { Reader } from '../axdr/reader.js';
import { Writer, fromHex, toHex } from '../axdr/writer.js';
import {
  cipheredTagFor,
  cipheredTagName,
  decodeCipheredApdu,
  decodeSecurityControl,
  encodeCipheredApdu,
  encodeSecurityControl,
  isCipheredTag,
  securityControlFor,
  type CipheredApdu,
} from './index.js';
import { TABLE_41_GENERAL_CIPHERING } from './general-ciphering/fixtures.js';
import { CAPTURED_GENERAL_GLO_CIPHERING } from './general-glo-ciphering/fixtures.js';
import { TABLE_40 } from './service-ciphered/fixtures.js';
import { assertDlmsError } from '../testkit.js';

function decodeAll(hex: string): CipheredApdu {
  const r = new Reader(fromHex(hex));
  const v = decodeCipheredApdu(r);
  r.done();
  return v;
}

function reencode(v: CipheredApdu): string {
  const w = new Writer(16);
  encodeCipheredApdu(w, v);
  return toHex(w.finish());
}

test('ciphered tags match the Green Book XDLMS-APDU CHOICE', () => {
  const glo = [0x21, 0x25, 0x26, 0x28, 0x2c, 0x2d, 0x2e, 0x36, 0x38, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xcf];
  const ded = [0x41, 0x45, 0x46, 0x48, 0x4c, 0x4d, 0x4e, 0x56, 0x58, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd7];
  const general = [0xdb, 0xdc, 0xdd, 0xdf];
  const protectedTags = new Set([...glo, ...ded, ...general]);
  for (let tag = 0; tag < 256; tag++) assert.equal(isCipheredTag(tag), protectedTags.has(tag), `tag 0x${tag.toString(16)}`);
  assert.equal(cipheredTagFor(0xc0, 'glo'), 0xc8);
  assert.equal(cipheredTagFor(0xc7, 'ded'), 0xd7);
  assert.equal(cipheredTagFor(0x01, 'glo'), 0x21);
  assert.equal(cipheredTagFor(0x08, 'glo'), 0x28);
  assert.equal(cipheredTagFor(0x0e, 'glo'), 0x2e);
  assert.equal(cipheredTagFor(0x0f, 'glo'), undefined); // data-notification: general-glo-ciphering only
  assert.equal(cipheredTagFor(0xc6, 'glo'), undefined);
  assert.equal(cipheredTagName(0xca), 'glo-event-notification-request');
  assert.equal(cipheredTagName(0xd3), 'ded-action-request');
  assert.equal(cipheredTagName(0x2e), 'glo-confirmed-service-error');
  assert.equal(cipheredTagName(0xdd), 'general-ciphering');
  assert.equal(cipheredTagName(0xc0), undefined);
});

test('security control byte: typed view round trips all 256 values', () => {
  for (let sc = 0; sc < 256; sc++) assert.equal(encodeSecurityControl(decodeSecurityControl(sc)), sc);
  assert.deepEqual(decodeSecurityControl(0x30), { suite: 0, authenticated: true, encrypted: true, broadcastKey: false, compressed: false });
  assert.deepEqual(decodeSecurityControl(0xc1), { suite: 1, authenticated: false, encrypted: false, broadcastKey: true, compressed: true });
  assert.equal(securityControlFor('authentication'), 0x10);
  assert.equal(securityControlFor('encryption', 0, true), 0x60);
  assert.equal(securityControlFor('authenticated-encryption', 2), 0x32);
});

test('service-specific envelope: Green Book Table 40 glo-get-request', () => {
  const v = decodeAll(TABLE_40.authenticatedEncryption);
  assert.equal(v.type, 'service-ciphered');
  assert.ok(v.type === 'service-ciphered');
  assert.equal(v.tag, 0xc8);
  assert.equal(v.content.length, 0x1e);
  assert.equal(v.content[0], 0x30);
  assert.equal(reencode(v), TABLE_40.authenticatedEncryption);
});

// Green Book Table 41, via u9n/dlms-cosem tests/test_xdlms/test_general_ciphering.py.
test('general-ciphering: Green Book Table 41 (agreed-key, suite 1) decodes and re-encodes', () => {
  assert.equal(TABLE_41_GENERAL_CIPHERING.length / 2, 401);
  const v = decodeAll(TABLE_41_GENERAL_CIPHERING);
  assert.ok(v.type === 'general-ciphering');
  assert.equal(toHex(v.transactionId), '0102030405060708');
  assert.equal(toHex(v.originatorSystemTitle), '4D4D4D0000BC614E');
  assert.equal(toHex(v.recipientSystemTitle), '4D4D4D0000000001');
  assert.equal(v.dateTime.length, 0);
  assert.equal(v.otherInformation.length, 0);
  assert.ok(v.keyInfo?.type === 'agreed-key');
  assert.equal(toHex(v.keyInfo.keyParameters), '01');
  assert.equal(v.keyInfo.keyCipheredData.length, 128);
  assert.equal(toHex(v.keyInfo.keyCipheredData.subarray(0, 4)), 'C323C2BD');
  assert.equal(v.content.length, 0xeb);
  assert.deepEqual(decodeSecurityControl(v.content[0]!), { suite: 1, authenticated: true, encrypted: true, broadcastKey: false, compressed: false });
  assert.equal(toHex(v.content.subarray(1, 5)), '00000000');
  assert.equal(reencode(v), TABLE_41_GENERAL_CIPHERING);
});

// Captured push from u9n/dlms-cosem tests/test_general_global_cipher.py.
test('general-glo-ciphering: captured meter push', () => {
  const v = decodeAll(CAPTURED_GENERAL_GLO_CIPHERING);
  assert.ok(v.type === 'general-glo-ciphering');
  assert.equal(toHex(v.systemTitle), '2F19229199164103');
  assert.equal(v.content.length, 0x3b);
  assert.equal(v.content[0], 0x30);
  assert.equal(toHex(v.content.subarray(1, 5)), '000001E5');
  assert.equal(reencode(v), CAPTURED_GENERAL_GLO_CIPHERING);
});

test('general-signing envelope and key-info choices round trip', () => {
  const samples: CipheredApdu[] = [
    {
      type: 'general-signing',
      transactionId: fromHex('01'),
      originatorSystemTitle: fromHex('4D4D4D0000BC614E'),
      recipientSystemTitle: fromHex('4D4D4D0000000001'),
      dateTime: new Uint8Array(0),
      otherInformation: new Uint8Array(0),
      content: fromHex('C0010000080000010000FF0200'),
      signature: new Uint8Array(64).fill(0x5a),
    },
    {
      type: 'general-ciphering',
      transactionId: fromHex('AA'),
      originatorSystemTitle: fromHex('4D4D4D0000BC614E'),
      recipientSystemTitle: fromHex('4D4D4D0000000001'),
      dateTime: new Uint8Array(12),
      otherInformation: fromHex('01'),
      keyInfo: { type: 'identified-key', keyId: 1 },
      content: fromHex('1000000001'),
    },
    {
      type: 'general-ciphering',
      transactionId: fromHex('AA'),
      originatorSystemTitle: fromHex('4D4D4D0000BC614E'),
      recipientSystemTitle: fromHex('4D4D4D0000000001'),
      dateTime: new Uint8Array(0),
      otherInformation: new Uint8Array(0),
      keyInfo: { type: 'wrapped-key', kekId: 0, keyCipheredData: new Uint8Array(24).fill(3) },
      content: fromHex('2000000001'),
    },
    { type: 'general-ded-ciphering', systemTitle: fromHex('4D4D4D0000BC614E'), content: fromHex('3000000001') },
  ];
  for (const v of samples) assert.deepEqual(decodeAll(reencode(v)), v);
});

test('malformed envelopes: codes and offsets', () => {
  assertDlmsError(() => decodeAll('C0'), 'DLMS_ERR_TAG', 0);
  assertDlmsError(() => decodeAll(''), 'DLMS_ERR_TRUNCATED', 0);
  assertDlmsError(() => decodeAll('C81E30'), 'DLMS_ERR_LENGTH', 1);
  assertDlmsError(() => decodeAll('C885'), 'DLMS_ERR_LENGTH', 1);
  assertDlmsError(() => decodeAll('DB7F4D4D'), 'DLMS_ERR_LENGTH', 1);
  assertDlmsError(() => decodeAll('DB024D4D'), 'DLMS_ERR_TRUNCATED', 4);
  // DD | 01 01 transaction-id | 01 02 originator | 01 03 recipient | 00 date-time | 00 other-information
  const header = 'DD010101020103' + '0000';
  assertDlmsError(() => decodeAll(header), 'DLMS_ERR_TRUNCATED', 9);
  assertDlmsError(() => decodeAll(header + '02'), 'DLMS_ERR_VALUE', 9);
  assertDlmsError(() => decodeAll(header + '0105'), 'DLMS_ERR_TAG', 10);
  assertDlmsError(() => decodeAll(header + '00' + '05AA'), 'DLMS_ERR_LENGTH', 10);
  assertDlmsError(() => decodeAll('DF' + header.slice(2) + '00'), 'DLMS_ERR_TRUNCATED', 10);
  const full = fromHex(TABLE_41_GENERAL_CIPHERING);
  for (let n = 0; n < full.length; n++) {
    assert.throws(() => decodeAll(toHex(full.subarray(0, n))), DlmsError);
  }
});
