import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { crc16x25 } from './crc.js';
import { decodeFrame, encodeFrame, type HdlcAddress, type HdlcFrameType } from './frame.js';
import { FOUR_BYTE_SESSION, GURUX_SN_SESSION, JDLMS_FRAMES, TWO_BYTE_SESSION } from './fixtures.js';
import { assertDlmsError } from '../testkit.js';

/** Flag-to-flag frame from the bytes between format and FCS, with a correct FCS (no HCS). */
function rawFrame(body: number[]): Uint8Array {
  const length = body.length + 2 + 2;
  const inner = [0xa0 | (length >> 8), length & 0xff, ...body];
  const fcs = crc16x25(Uint8Array.from(inner));
  return Uint8Array.from([0x7e, ...inner, fcs & 0xff, fcs >> 8, 0x7e]);
}

test('published SNRM / UA / I / RR frames decode and re-encode byte for byte (pastebin.com/Vvs6PqXK)', () => {
  const s = GURUX_SN_SESSION;
  const snrm = decodeFrame(s.snrm);
  assert.deepEqual(
    { type: snrm.type, dst: snrm.destination, src: snrm.source, pf: snrm.pf, info: snrm.info.length },
    { type: 'SNRM', dst: { logical: 1, size: 1 }, src: { logical: 16, size: 1 }, pf: true, info: 0 },
  );
  const ua = decodeFrame(s.ua);
  assert.equal(ua.type, 'UA');
  assert.equal(toHex(ua.info), '818012050180' + '06013E' + '070400000001' + '080400000001');

  const aarq = decodeFrame(s.aarq);
  assert.deepEqual([aarq.type, aarq.ns, aarq.nr, aarq.pf, aarq.segmented], ['I', 0, 0, true, false]);
  assert.equal(toHex(aarq.info.subarray(0, 5)), 'E6E600601D');
  assert.equal(aarq.info.buffer, s.aarq.buffer, 'information field is a view');

  const seg = decodeFrame(s.readResponse1);
  assert.deepEqual([seg.type, seg.ns, seg.nr, seg.segmented, seg.info.length], ['I', 1, 2, true, 0x5b - 9]);
  const rr = decodeFrame(s.rr2);
  assert.deepEqual([rr.type, rr.nr, rr.pf], ['RR', 2, true]);

  for (const bytes of Object.values(s).filter((b) => b.length > 6)) {
    const f = decodeFrame(bytes);
    assert.equal(toHex(encodeFrame(f)), toHex(bytes));
  }
});

test('2- and 4-byte server addresses (gist knogi/d64dec10…, pastebin.com/7HTFDmEv, jDLMS HdlcFrameTest)', () => {
  const two = decodeFrame(TWO_BYTE_SESSION.snrm);
  assert.deepEqual(two.destination, { logical: 1, physical: 17, size: 2 });
  assert.deepEqual(two.source, { logical: 5, size: 1 });
  assert.equal(toHex(encodeFrame(two)), toHex(TWO_BYTE_SESSION.snrm));

  const four = decodeFrame(FOUR_BYTE_SESSION.snrm);
  assert.deepEqual(four.destination, { logical: 1, physical: 8821, size: 4 });
  assert.deepEqual(four.source, { logical: 32, size: 1 });
  assert.equal(toHex(encodeFrame(four)), toHex(FOUR_BYTE_SESSION.snrm));
  assert.deepEqual(decodeFrame(FOUR_BYTE_SESSION.aare).source, { logical: 1, physical: 8821, size: 4 });

  // Without flags.
  const iskra = decodeFrame(JDLMS_FRAMES.iskraUa);
  assert.deepEqual([iskra.type, iskra.destination, iskra.source], ['UA', { logical: 100, size: 1 }, { logical: 1, physical: 17, size: 2 }]);
  const e650 = decodeFrame(JDLMS_FRAMES.e650Rr);
  assert.deepEqual([e650.type, e650.nr, e650.destination.physical, e650.destination.logical], ['RR', 2, 5481, 17]);
});

test('every control type round-trips with every address size', () => {
  const types: HdlcFrameType[] = ['I', 'RR', 'RNR', 'SNRM', 'DISC', 'UA', 'DM', 'FRMR', 'UI'];
  const servers: HdlcAddress[] = [
    { logical: 1 },
    { logical: 0x7f },
    { logical: 1, physical: 17 },
    { logical: 0x7f, physical: 0x7f },
    { logical: 1, physical: 8821 },
    { logical: 0x3fff, physical: 0x3fff },
    { logical: 2, physical: 3, size: 4 },
  ];
  const client: HdlcAddress = { logical: 0x10 };
  for (const type of types) {
    for (const server of servers) {
      for (const toServer of [true, false]) {
        for (const info of [new Uint8Array(0), Uint8Array.from([1, 2, 3, 0x7e])]) {
          const ns = type === 'I' ? 5 : 0;
          const nr = type === 'I' || type === 'RR' || type === 'RNR' ? 6 : 0;
          const pf = info.length === 0;
          const segmented = type === 'I' && info.length > 0;
          const bytes = encodeFrame({ type, destination: toServer ? server : client, source: toServer ? client : server, ns, nr, pf, segmented, info });
          const f = decodeFrame(bytes);
          const size = server.size ?? (server.physical === undefined ? 1 : server.physical > 0x7f ? 4 : 2);
          assert.deepEqual(
            { type: f.type, ns: f.ns, nr: f.nr, pf: f.pf, segmented: f.segmented, info: [...f.info], server: toServer ? f.destination : f.source },
            { type, ns, nr, pf, segmented, info: [...info], server: { ...server, size } },
          );
          assert.equal(bytes[1]! & 0x08, segmented ? 0x08 : 0);
        }
      }
    }
  }
});

test('control bytes match IEC 62056-46 for P/F set', () => {
  const d = { logical: 1 };
  const s = { logical: 16 };
  const cases: [HdlcFrameType, number][] = [['SNRM', 0x93], ['DISC', 0x53], ['UA', 0x73], ['DM', 0x1f], ['FRMR', 0x97], ['UI', 0x13]];
  for (const [type, control] of cases) assert.equal(encodeFrame({ type, destination: d, source: s })[5], control, type);
  assert.equal(encodeFrame({ type: 'RR', destination: d, source: s, nr: 2 })[5], 0x51);
  assert.equal(encodeFrame({ type: 'RNR', destination: d, source: s, nr: 7 })[5], 0xf5);
  assert.equal(encodeFrame({ type: 'I', destination: d, source: s, ns: 1, nr: 2, info: Uint8Array.of(0) })[5], 0x52);
});

test('decode errors carry codes and offsets', () => {
  const good = GURUX_SN_SESSION.aarq;
  const fcsBad = good.slice();
  fcsBad[fcsBad.length - 2]! ^= 0xff;
  assertDlmsError(() => decodeFrame(fcsBad), 'DLMS_ERR_HDLC_FCS', good.length - 3);

  const hcsBad = good.slice();
  hcsBad[6]! ^= 0x01;
  assertDlmsError(() => decodeFrame(hcsBad), 'DLMS_ERR_HDLC_HCS', 6);

  const infoBad = good.slice();
  infoBad[20]! ^= 0x01;
  assertDlmsError(() => decodeFrame(infoBad), 'DLMS_ERR_HDLC_FCS', good.length - 3);

  const typeBad = good.slice();
  typeBad[1] = 0xb0;
  assertDlmsError(() => decodeFrame(typeBad), 'DLMS_ERR_HDLC_FORMAT', 1);

  assertDlmsError(() => decodeFrame(good, 0, good.length - 1), 'DLMS_ERR_HDLC_FORMAT', good.length - 2); // no closing flag
  const cut = Uint8Array.from([...good.subarray(0, 20), 0x7e]);
  assertDlmsError(() => decodeFrame(cut), 'DLMS_ERR_TRUNCATED', 1);
  const longer = Uint8Array.from([...good.subarray(0, good.length - 1), 0x00, 0x7e]);
  assertDlmsError(() => decodeFrame(longer), 'DLMS_ERR_HDLC_FORMAT', 1);
  assertDlmsError(() => decodeFrame(fromHex('7E A0 7E')), 'DLMS_ERR_TRUNCATED', 1);

  assertDlmsError(() => decodeFrame(rawFrame([0x02, 0x04, 0x06, 0x08, 0x21, 0x93])), 'DLMS_ERR_HDLC_FORMAT', 3); // no extension bit in 4 bytes
  assertDlmsError(() => decodeFrame(rawFrame([0x02, 0x04, 0x07, 0x21, 0x93])), 'DLMS_ERR_HDLC_FORMAT', 3); // 3-byte address
  assertDlmsError(() => decodeFrame(rawFrame([0x03, 0x21, 0x09])), 'DLMS_ERR_HDLC_FORMAT', 5); // REJ is not used
  assertDlmsError(() => decodeFrame(rawFrame([0x03, 0x21, 0x93, 0x00])), 'DLMS_ERR_TRUNCATED', 6); // 1 byte where HCS + info expected
});

test('encode rejects what the format cannot carry', () => {
  const s = { logical: 16 };
  assert.throws(() => encodeFrame({ type: 'SNRM', destination: { logical: 0x80 }, source: s }), { code: 'DLMS_ERR_ENCODE' });
  assert.throws(() => encodeFrame({ type: 'SNRM', destination: { logical: 1, physical: 0x4000 }, source: s }), { code: 'DLMS_ERR_ENCODE' });
  assert.throws(() => encodeFrame({ type: 'SNRM', destination: { logical: 1, physical: 200, size: 2 }, source: s }), { code: 'DLMS_ERR_ENCODE' });
  assert.throws(() => encodeFrame({ type: 'I', destination: { logical: 1 }, source: s, ns: 8 }), { code: 'DLMS_ERR_ENCODE' });
  assert.throws(() => encodeFrame({ type: 'I', destination: { logical: 1 }, source: s, info: new Uint8Array(2040) }), { code: 'DLMS_ERR_ENCODE' });
  const max = encodeFrame({ type: 'I', destination: { logical: 1 }, source: s, info: new Uint8Array(2047 - 9) });
  assert.equal(decodeFrame(max).info.length, 2047 - 9);
});
