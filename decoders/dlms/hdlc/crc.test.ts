import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16x25 } from './crc.js';
import { GURUX_LN_SESSION, GURUX_SN_SESSION, FOUR_BYTE_SESSION, JDLMS_FRAMES } from './fixtures.js';

test('CRC-16/X.25 check value of "123456789" is 0x906E', () => {
  assert.equal(crc16x25(new TextEncoder().encode('123456789')), 0x906e);
});

test('CRC of an empty range is 0x0000 (init 0xFFFF, final XOR 0xFFFF)', () => {
  assert.equal(crc16x25(new Uint8Array(0)), 0x0000);
});

test('CRC over a range equals the CRC of the copied range', () => {
  const b = new TextEncoder().encode('xx123456789yy');
  assert.equal(crc16x25(b, 2, 11), 0x906e);
});

test('FCS and HCS of published DLMS frames (sent least significant byte first)', () => {
  const frames = [...Object.values(GURUX_SN_SESSION), ...Object.values(GURUX_LN_SESSION), ...Object.values(FOUR_BYTE_SESSION)]
    .filter((f) => f.length > 8);
  for (const f of frames) {
    const end = f.length - 1; // closing flag
    assert.equal(crc16x25(f, 1, end - 2), f[end - 2]! | (f[end - 1]! << 8));
  }
  // HCS of the AARQ I-frame 7E A0 2B 03 21 10 | FB AF
  assert.equal(crc16x25(GURUX_SN_SESSION.aarq, 1, 6), 0xaffb);
  const rr = JDLMS_FRAMES.e650Rr;
  assert.equal(crc16x25(rr, 0, rr.length - 2), rr[rr.length - 2]! | (rr[rr.length - 1]! << 8));
});
