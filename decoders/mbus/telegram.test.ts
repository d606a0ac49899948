/**
 * Published telegrams (fixtures.ts names each source and licence) decode to the values their sources
 * document; wrong keys, broken CRCs and truncations fail with the codec's own error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMbusError } from './errors.js';
import * as F from './fixtures.js';
import { reversedText, ValueKind, type Records } from './records.js';
import { manufacturerCode, QUANTITIES, UNITS } from './tables.js';
import { decodeTelegram, MbusDecoder, type Telegram } from './telegram.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const key = (f: F.Fixture): Uint8Array | undefined => (f.key ? bytes(f.key) : undefined);
const decode = (f: F.Fixture): Telegram => decodeTelegram(bytes(f.hex), { key: key(f) });

interface Row { quantity: string; value: number | string; unit: string; storage?: number; tariff?: number; subunit?: number; func?: number }
function rows(r: Records): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < r.count; i++) {
    const k = r.kind[i]!;
    const v = r.value[i]!;
    const value = k === ValueKind.Number ? r.scaled(i)
      : (k === ValueKind.Date || k === ValueKind.DateTime) && v !== v ? 'invalid'
      : k === ValueKind.Date ? new Date(r.value[i]!).toISOString().slice(0, 10)
        : k === ValueKind.DateTime ? new Date(r.value[i]!).toISOString().slice(0, 16)
          : k === ValueKind.Text ? reversedText(r.payload, r.dataStart[i]!, r.dataEnd[i]! - r.dataStart[i]!) : '';
    out.push({ quantity: QUANTITIES[r.quantity[i]!]!.name, value, unit: UNITS[r.unit[i]!]!, storage: r.storage[i]!, tariff: r.tariff[i]!, subunit: r.subunit[i]!, func: r.func[i]! });
  }
  return out;
}
const pick = (r: Row[], keys: (keyof Row)[]): Partial<Row>[] => r.map((x) => Object.fromEntries(keys.map((k) => [k, x[k]])));

/** OMS Annex N: the gas meter's three records, in every security profile. */
const OMS_RECORDS = [
  { quantity: 'volume', value: 28504.27, unit: 'm3' },
  { quantity: 'date-time', value: '2008-05-31T23:50', unit: '' },
  { quantity: 'error-flags', value: 0, unit: '' },
];

test('OMS mode 5 (security profile A, frame format A): ELS gas meter 12345678, 28504.27 m3', () => {
  const t = decode(F.OMS_MODE5);
  assert.equal(t.frameFormat, 'A');
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'ELS');
  assert.equal(t.meter!.id, '12345678');
  assert.equal(t.meter!.deviceType, 0x03);
  assert.equal(t.meter!.version, 0x33);
  assert.equal(t.tpl!.accessNumber, 0x2a);
  assert.equal(t.security.mode, 5);
  assert.equal(t.security.encryptedBlocks, 2);
  assert.deepEqual(pick(rows(t.records), ['quantity', 'value', 'unit']), OMS_RECORDS);
});

test('OMS mode 7 (security profile B): MAC checked, same records, with and without link-layer CRCs', () => {
  for (const f of [F.OMS_MODE7, F.OMS_MODE7_NO_CRC]) {
    const t = decode(f);
    assert.equal(t.frameFormat, f === F.OMS_MODE7 ? 'A' : 'none');
    assert.equal(t.ell!.ci, 0x8c);
    assert.equal(t.afl!.messageCounter, 0x0ab3);
    assert.equal(t.afl!.macLength, 8);
    assert.equal(t.security.mode, 7);
    assert.equal(t.security.macVerified, true);
    assert.equal(t.meter!.id, '12345678');
    assert.deepEqual(pick(rows(t.records), ['quantity', 'value', 'unit']), OMS_RECORDS);
  }
});

test('OMS radio adapter: link layer RAD 11223344, ELL 0x8E to XYZ 33445566, meter ELS 12345678 from the long TPL header', () => {
  const t = decode(F.OMS_MODE7_ADAPTER);
  assert.equal(manufacturerCode(t.link!.manufacturer), 'RAD');
  assert.equal(t.link!.id, '11223344');
  assert.equal(t.link!.deviceType, 0x37);
  assert.equal(t.ell!.ci, 0x8e);
  assert.equal(t.tpl!.header, 'long');
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'ELS');
  assert.equal(t.meter!.id, '12345678');
  assert.equal(t.security.macVerified, true);
  assert.deepEqual(pick(rows(t.records), ['quantity', 'value', 'unit']), OMS_RECORDS);
});

test('OMS partial encryption: one encrypted block, then a plain record; heat cost allocator QDS 55667788', () => {
  const t = decode(F.OMS_PARTIAL);
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'QDS');
  assert.equal(t.meter!.id, '55667788');
  assert.equal(t.meter!.deviceType, 0x08);
  assert.equal(t.security.encryptedBlocks, 1);
  const r = rows(t.records);
  assert.equal(r.length, 4);
  assert.deepEqual(pick(r, ['quantity', 'value', 'storage']), [
    { quantity: 'hca-units', value: 1234, storage: 0 },
    { quantity: 'date', value: '2007-04-30', storage: 1 },
    { quantity: 'hca-units', value: 23456, storage: 1 },
    { quantity: 'customer-location', value: 12345678, storage: 0 },
  ]);
});

test('OMS frame format B: CEN water meter 12345678, 876.543 m3, no TPL header after ELL 0x8C', () => {
  const t = decode(F.OMS_FORMAT_B);
  assert.equal(t.frameFormat, 'B');
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'CEN');
  assert.equal(t.meter!.deviceType, 0x07);
  assert.equal(t.tpl!.ci, 0x78);
  assert.deepEqual(pick(rows(t.records), ['quantity', 'value', 'unit']), [{ quantity: 'volume', value: 876.543, unit: 'm3' }]);
});

test('pyMeterBus mode 5: energy 0 Wh, 2020-04-21 10:16, 0.071 m3', () => {
  const t = decode(F.PYMETERBUS_MODE5);
  assert.equal(t.frameFormat, 'none');
  assert.equal(t.meter!.id, '00096255');
  assert.deepEqual(pick(rows(t.records), ['quantity', 'value', 'unit']), [
    { quantity: 'energy', value: 0, unit: 'Wh' },
    { quantity: 'date-time', value: '2020-04-21T10:16', unit: '' },
    { quantity: 'volume', value: 0.071, unit: 'm3' },
  ]);
});

test('jMBus ELL AES-CTR (CI 0x8D): Kamstrup cold water 474.24 m3, payload CRC checked', () => {
  const t = decode(F.JMBUS_ELL_CTR);
  assert.equal(t.security.ellEncrypted, true);
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'KAM');
  const r = rows(t.records);
  assert.equal(r[1]!.quantity, 'volume');
  assert.equal(r[1]!.value, 474.24);
  assert.equal(r[2]!.storage, 1);
});

test('libmbus Kamstrup Multical 601 (wired): documented values by storage, tariff, subunit and function', () => {
  const t = decode(F.LIBMBUS_KAMSTRUP_601);
  assert.equal(t.medium, 'wired');
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'KAM');
  assert.equal(t.meter!.id, '06855817');
  assert.equal(t.meter!.deviceType, 0x04);
  assert.equal(t.tpl!.accessNumber, 4);
  const r = rows(t.records);
  assert.equal(r.length, 27);
  // libmbus kamstrup_multical_601.norm.xml, records 0-10, 11, 13, 16, 17, 19, 26
  assert.deepEqual(pick(r.slice(0, 11), ['quantity', 'value', 'unit', 'func']), [
    { quantity: 'fabrication-number', value: 6855817, unit: '', func: 0 },
    { quantity: 'energy', value: 37351000, unit: 'Wh', func: 0 },
    { quantity: 'volume', value: 561.08, unit: 'm3', func: 0 },
    { quantity: 'on-time', value: 985, unit: 'h', func: 0 }, // libmbus: 3546000 s
    { quantity: 'flow-temperature', value: 101.69, unit: '°C', func: 0 },
    { quantity: 'return-temperature', value: 46.16, unit: '°C', func: 0 },
    { quantity: 'temperature-difference', value: 55.53, unit: 'K', func: 0 },
    { quantity: 'power', value: 34700, unit: 'W', func: 0 },
    { quantity: 'power', value: 44800, unit: 'W', func: 1 },
    { quantity: 'volume-flow', value: 0.543, unit: 'm3/h', func: 0 },
    { quantity: 'volume-flow', value: 0.628, unit: 'm3/h', func: 1 },
  ]);
  assert.deepEqual(pick([r[11]!, r[13]!, r[15]!], ['quantity', 'tariff', 'subunit']), [
    { quantity: 'energy', tariff: 1, subunit: 0 },
    { quantity: 'volume', tariff: 0, subunit: 1 },
    { quantity: 'energy', tariff: 0, subunit: 3 },
  ]);
  assert.deepEqual(pick([r[16]!, r[17]!, r[19]!, r[26]!], ['quantity', 'value', 'storage', 'func']), [
    { quantity: 'date-time', value: '2011-01-05T15:26', storage: 0, func: 0 },
    { quantity: 'energy', value: 33361000, storage: 1, func: 0 },
    { quantity: 'power', value: 55000, storage: 1, func: 1 },
    { quantity: 'date', value: '2010-12-31', storage: 1, func: 0 },
  ]);
  // DIF 0x0F: the manufacturer-specific tail (57 bytes) kept raw.
  assert.equal(t.records.payload.length - t.records.manufacturerDataStart, 57);
});

test('libmbus Itron Cyble (wired): plain-text VIFs, manufacturer VIFE kept, DIF 0x0F tail', () => {
  const t = decode(F.LIBMBUS_CYBLE_WATER);
  assert.equal(t.meter!.id, '12000071');
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'ACW');
  const r = t.records;
  assert.equal(reversedText(r.payload, r.textStart[1]!, r.textLength[1]!), 'cust. ID');
  assert.equal(rows(r)[1]!.value, 'TEST CYBLE');
  assert.equal(reversedText(r.payload, r.textStart[3]!, r.textLength[3]!), 'bat. time');
  assert.equal(rows(r)[3]!.value, 4338);
  assert.deepEqual(pick(rows(r).slice(4), ['quantity', 'value', 'storage']), [
    { quantity: 'volume', value: 123.49, storage: 0 },
    { quantity: 'volume', value: 0.2, storage: 0 },
    { quantity: 'volume', value: 0, storage: 1 },
  ]);
  assert.equal(r.flags[5]! & 1, 1, 'VIFE 0x7F marks the record manufacturer specific');
  assert.equal(Buffer.from(r.payload.subarray(r.manufacturerDataStart)).toString('hex'), '10011f');
});

test('libmbus plain-text VIF 0xFC: the VIFE comes before the text ("ABC", 12565)', () => {
  const t = decode(F.LIBMBUS_PLAIN_TEXT);
  const r = t.records;
  assert.equal(reversedText(r.payload, r.textStart[0]!, r.textLength[0]!), 'ABC');
  assert.equal(r.value[0], 12565);
  assert.equal(r.vifeMask[0], 1, 'VIFE 0x20 (per second)');
});

test('libmbus ABB (wired): firmware text, manufacturer VIFs kept, DIF 0x1F (more records follow)', () => {
  const t = decode(F.LIBMBUS_ABB);
  assert.equal(manufacturerCode(t.meter!.manufacturer), 'ABB');
  assert.equal(t.meter!.id, '00385972');
  assert.equal(t.meter!.deviceType, 0x02);
  const r = rows(t.records);
  assert.equal(r[9]!.quantity, 'firmware-version');
  assert.equal(r[9]!.value, 'B1.24.0');
  assert.equal(r[10]!.quantity, 'manufacturer-specific');
  assert.equal(r[10]!.value, 'B24 113-100');
  assert.equal(t.records.moreRecordsFollow, true);
});

test('wmbusmeters telegram with format A CRCs: link layer SON 27293981, CRC blocks removed', () => {
  const t = decode(F.WMBUSMETERS_DLL_CRCS);
  assert.equal(t.frameFormat, 'A');
  assert.equal(manufacturerCode(t.link!.manufacturer), 'SON');
  assert.equal(t.link!.id, '27293981');
  assert.equal(t.link!.deviceType, 0x08);
  assert.equal(t.bytes.length, t.bytes[0]! + 1);
  // A type G date with all year bits set is "not given", not the year 2027.
  assert.equal(rows(t.records).find((x) => x.quantity === 'date')?.value, 'invalid');
});

test('a wrong key fails with MBUS_ERR_DECRYPT "decryption failed (check the key)"', () => {
  const wrong = bytes('0102030405060708090A0B0C0D0E0F12');
  for (const f of [F.OMS_MODE5, F.OMS_MODE7, F.OMS_PARTIAL, F.JMBUS_ELL_CTR]) {
    assert.throws(() => decodeTelegram(bytes(f.hex), { key: wrong }), (e: unknown) => {
      assert.ok(isMbusError(e));
      assert.equal(e.code, 'MBUS_ERR_DECRYPT');
      assert.match(e.message, /decryption failed \(check the key\)/);
      return true;
    });
  }
});

test('an encrypted telegram without a key: MBUS_ERR_KEY, or its headers with headersOnly', () => {
  assert.throws(() => decodeTelegram(bytes(F.OMS_MODE5.hex)), { code: 'MBUS_ERR_KEY' });
  const t = decodeTelegram(bytes(F.OMS_MODE5.hex), { headersOnly: true });
  assert.equal(t.security.decrypted, false);
  assert.equal(t.records.count, 0);
  assert.equal(t.meter!.id, '12345678');
});

test('a flipped bit: the CRC of its block fails (format A), the MAC fails (mode 7 without CRCs)', () => {
  const a = bytes(F.OMS_MODE5.hex);
  a[20]! ^= 0x01;
  assert.throws(() => decodeTelegram(a, { key: key(F.OMS_MODE5) }), { code: 'MBUS_ERR_CRC', message: /block 2/ });
  const m = bytes(F.OMS_MODE7_NO_CRC.hex);
  m[m.length - 1]! ^= 0x80;
  assert.throws(() => decodeTelegram(m, { key: key(F.OMS_MODE7_NO_CRC) }), { code: 'MBUS_ERR_DECRYPT', message: /MAC/ });
});

test('truncated telegrams are rejected with a length or truncation error, never anything else', () => {
  for (const f of Object.values(F)) {
    const full = bytes(f.hex);
    for (let n = 0; n < full.length; n++) {
      try {
        decodeTelegram(full.subarray(0, n), { key: key(f) });
      } catch (e) {
        assert.ok(isMbusError(e), `${f.source} cut at ${n}: ${String(e)}`);
      }
    }
  }
});

test('one decoder reuses its buffers: results of two different telegrams in a row are both right', () => {
  const d = new MbusDecoder();
  const a = d.decode(bytes(F.OMS_MODE5.hex), { key: key(F.OMS_MODE5) });
  assert.equal(a.records.scaled(0), 28504.27);
  const b = d.decode(bytes(F.OMS_FORMAT_B.hex));
  assert.equal(b.records.scaled(0), 876.543);
  const c = d.decode(bytes(F.OMS_MODE7.hex), { key: key(F.OMS_MODE7) });
  assert.equal(c.records.scaled(0), 28504.27);
});
