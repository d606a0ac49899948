import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { decodeWpduDatagram, decodeWrapperHeader, encodeWpdu } from './wpdu.js';
import { WRAPPED } from './fixtures.js';

test('published WPDUs decode and re-encode (jDLMS JdlmsClientOverTcpTest fixtures)', () => {
  const aarq = decodeWpduDatagram(WRAPPED.aarq);
  assert.deepEqual([aarq.sourceWPort, aarq.destinationWPort, aarq.apdu.length, aarq.apdu[0]], [0x10, 0x01, 0x1f, 0x60]);
  assert.equal(aarq.apdu.buffer, WRAPPED.aarq.buffer, 'the APDU is a view');
  const aare = decodeWpduDatagram(WRAPPED.aare);
  assert.deepEqual([aare.sourceWPort, aare.destinationWPort, aare.apdu.length, aare.apdu[0]], [0x01, 0x10, 0x2b, 0x61]);
  for (const bytes of Object.values(WRAPPED)) {
    const w = decodeWpduDatagram(bytes);
    assert.equal(toHex(encodeWpdu(w.sourceWPort, w.destinationWPort, w.apdu)), toHex(bytes));
  }
  assert.deepEqual(decodeWrapperHeader(WRAPPED.getRequest), { sourceWPort: 0x10, destinationWPort: 0x01, length: 0x0d });
});

test('wrapper errors carry codes and offsets', () => {
  assert.throws(() => decodeWrapperHeader(fromHex('00 01 00 10 00 01 00')), { code: 'DLMS_ERR_TRUNCATED', offset: 0 });
  assert.throws(() => decodeWrapperHeader(fromHex('00 02 00 10 00 01 00 00')), { code: 'DLMS_ERR_WRAPPER', offset: 0 });
  assert.throws(() => decodeWrapperHeader(fromHex('00 01 00 10 00 01 04 01'), 0, 1024), { code: 'DLMS_ERR_LENGTH', offset: 6 });
  // UDP: one datagram is exactly one WPDU
  assert.throws(() => decodeWpduDatagram(fromHex('00 01 00 10 00 01 00 05 62 03 80 01')), { code: 'DLMS_ERR_LENGTH', offset: 6 });
  assert.throws(() => decodeWpduDatagram(fromHex('00 01 00 10 00 01 00 04 62 03 80 01 00')), { code: 'DLMS_ERR_TRAILING', offset: 12 });
  assert.throws(() => encodeWpdu(0x10000, 1, new Uint8Array(1)), { code: 'DLMS_ERR_ENCODE' });
  assert.throws(() => encodeWpdu(1, 1, new Uint8Array(0x10000)), { code: 'DLMS_ERR_ENCODE' });
});
