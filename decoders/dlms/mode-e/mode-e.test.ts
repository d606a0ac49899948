/** IEC 62056-21 mode E messages: the bytes of each, both ways, and malformed input as coded errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDlmsError } from '../errors.js';
import {
  baudChar, baudRateOf, decodeIdentification, decodeOptionSelect, decodeRequest, encodeIdentification, encodeOptionSelect, encodeRequest, messageLength,
  selectsHdlc,
} from './mode-e.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (s: string) => new TextEncoder().encode(s);

test('the request, with and without a device address', () => {
  assert.equal(hex(encodeRequest()), '2f3f210d0a'); // "/?!" CR LF
  assert.equal(hex(encodeRequest('12345678')), '2f3f3132333435363738210d0a');
  assert.deepEqual(decodeRequest(bytes('/?!\r\n')), { address: '' });
  assert.deepEqual(decodeRequest(bytes('/?009218!\r\n')), { address: '009218' });
  for (const bad of ['/?a!b!', 'x'.repeat(33)]) assert.throws(() => encodeRequest(bad), (e: unknown) => isDlmsError(e) && e.code === 'DLMS_ERR_ENCODE');
  assert.throws(() => decodeRequest(bytes('/?!')), (e: unknown) => isDlmsError(e) && e.code === 'DLMS_ERR_MODE_E' && /CR LF/.test(e.message));
  assert.throws(() => decodeRequest(bytes('?!\r\n')), (e: unknown) => isDlmsError(e) && e.code === 'DLMS_ERR_MODE_E');
});

test('the identification: manufacturer, speed, the enhanced identification \\2 of mode E', () => {
  const id = { manufacturer: 'EGM', baudRate: 9600, hdlc: true, identification: 'CE308' } as const;
  assert.equal(new TextDecoder().decode(encodeIdentification(id)), '/EGM5\\2CE308\r\n');
  assert.deepEqual(decodeIdentification(bytes('/EGM5\\2CE308\r\n')), id);
  // A meter without binary mode (modes A–D only) and one with another escape first.
  assert.deepEqual(decodeIdentification(bytes('/ISk5MT174-0001\r\n')), { manufacturer: 'ISk', baudRate: 9600, hdlc: false, identification: 'MT174-0001' });
  assert.equal(decodeIdentification(bytes('/LGZ4\\1\\2ZMD4104\r\n')).hdlc, true);
  assert.throws(() => decodeIdentification(bytes('/EGM9\\2CE308\r\n')), (e: unknown) => isDlmsError(e) && e.code === 'DLMS_ERR_MODE_E' && /"9"/.test(e.message));
  assert.throws(() => decodeIdentification(bytes('EGM5\\2CE308\r\n')), (e: unknown) => isDlmsError(e) && /start with "\/"/.test(e.message));
  assert.throws(() => decodeIdentification(bytes('/EGM5\\2\x01\r\n')), (e: unknown) => isDlmsError(e) && /printable/.test(e.message));
});

test('the option select ACK 2 Z 2 and the speed characters', () => {
  assert.equal(hex(encodeOptionSelect(9600)), '063235320d0a');
  assert.equal(hex(encodeOptionSelect(19200)), '063236320d0a');
  const o = decodeOptionSelect(new Uint8Array([0x06, 0x32, 0x34, 0x32, 0x0d, 0x0a]));
  assert.deepEqual(o, { protocol: '2', baudRate: 4800, mode: '2' });
  assert.equal(selectsHdlc(o), true);
  assert.equal(selectsHdlc(decodeOptionSelect(new Uint8Array([0x06, 0x30, 0x35, 0x30, 0x0d, 0x0a]))), false, 'data readout (V 0, Y 0)');
  assert.throws(() => decodeOptionSelect(bytes('252\r\n')), (e: unknown) => isDlmsError(e) && /ACK/.test(e.message));
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => baudRateOf(String(i))), [300, 600, 1200, 2400, 4800, 9600, 19200]);
  assert.equal(baudChar(2400), '3');
  assert.throws(() => baudChar(115200), (e: unknown) => isDlmsError(e) && e.code === 'DLMS_ERR_ENCODE');
});

test('a message ends with CR LF: its length in a buffer, or 0 while incomplete', () => {
  assert.equal(messageLength(bytes('/EGM5\\2CE3')), 0);
  assert.equal(messageLength(bytes('/EGM5\\2CE308\r')), 0);
  assert.equal(messageLength(bytes('/EGM5\\2CE308\r\n\x7e\xa0')), 14);
});
