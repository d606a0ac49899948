/** The pool's M-Bus decoder on published telegrams (fixtures.ts): rows as their sources document the values. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { recordingOutput } from '../testing.js';
import type { DeviceContext, RawFrame } from '../protocol-decoder.js';
import { MbusError } from './errors.js';
import { JMBUS_ELL_CTR, LIBMBUS_KAMSTRUP_601, OMS_MODE5, OMS_MODE7, type Fixture } from './fixtures.js';
import { MbusFrameDecoder } from './frame-decoder.js';
import type { MbusProfileSection } from './mapping.js';

const shipped = (id: string) => JSON.parse(readFileSync(new URL(`../../registry/profiles/${id}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

const GAS: MbusProfileSection = {
  records: [
    { quantity: 'volume', obis: '7.0.3.0.0.255' },
    { quantity: 'error-flags', obis: '7.0.97.97.0.255', archive: 'telemetry' },
  ],
  status: { obis: '7.0.97.97.1.255', archive: 'telemetry' },
};

function device(body: Record<string, unknown> | null, key?: string, num = 42): DeviceContext {
  return {
    num, serial: `M${num}`, projectId: 'p', profile: body ? { id: String(body.id ?? 'GAS'), version: '1', body } : null,
    protocol: { kind: 'MBUS', settings: {} }, secrets: key ? { MBUS_AES: key } : {}, overrides: {},
  };
}

const RECEIVED = Date.UTC(2026, 11, 7, 10, 15, 2);

function frame(f: Fixture | string, tzMinutes = 60, source: 'PUSH' | 'POLL' = 'PUSH'): RawFrame {
  return {
    frameId: 'f', wire: Buffer.from(typeof f === 'string' ? f : f.hex, 'hex'), framing: 'MBUS', direction: 'UPLINK', deviceId: 42, commLineId: null,
    connector: 'wmbus:gw', receivedAt: RECEIVED, sessionId: null, protocol: 'mbus',
    context: { archive: 'current', retentionDays: 30, deviceTzMinutes: tzMinutes, source, captureObjects: [], journal: null, eventCodes: null },
  };
}

const rowsOf = (out: ReturnType<typeof recordingOutput>) => out.rows.map((r) => [r.obis, r.archive, r.tariff, r.ts, r.raw, r.scaler, r.unit]);

test('OMS mode 5 and mode 7: volume, error flags and status at the telegram\'s date-time, taken in the device zone; states', () => {
  for (const f of [OMS_MODE5, OMS_MODE7]) {
    const d = new MbusFrameDecoder();
    const out = recordingOutput(1_800_000_000);
    const n = d.decode(frame(f), out, device({ mbus: GAS }, f.key));
    // 2008-05-31 23:50 on the meter's clock, one hour east of UTC.
    const ts = Date.UTC(2008, 4, 31, 22, 50) / 1000;
    assert.equal(n, 3);
    assert.deepEqual(rowsOf(out), [
      ['7.0.3.0.0.255', 'current', 0, ts, 2850427, -2, 'm3'],
      ['7.0.97.97.0.255', 'telemetry', 0, ts, 0, 0, ''],
      ['7.0.97.97.1.255', 'telemetry', 0, ts, 0, 0, ''],
    ]);
    assert.equal(out.rows[0]!.value, 28504.27);
    assert.deepEqual(out.rows.map((r) => [r.deviceId, r.source, r.deviceTz, r.retentionDays]), Array(3).fill([42, 'PUSH', 60, 30]));
    assert.deepEqual(out.states, [
      { deviceId: 42, archive: 'state-state', code: 'error-flags', value: 0, at: ts * 1000 },
      { deviceId: 42, archive: 'state-state', code: 'status', value: { byte: 0, flags: [] }, at: ts * 1000 },
    ]);
  }
});

test('wired Kamstrup Multical 601 with the shipped heat profile: tariffs, maxima, the due-date values at the end of their date', () => {
  const out = recordingOutput();
  new MbusFrameDecoder().decode(frame(LIBMBUS_KAMSTRUP_601, 0, 'POLL'), out, device(shipped('MBUS_HEAT')));
  const now = Date.UTC(2011, 0, 5, 15, 26) / 1000;
  const due = Date.UTC(2011, 0, 1) / 1000; // storage 1 date 2010-12-31: the value at its end
  assert.deepEqual(rowsOf(out), [
    ['6.0.1.0.0.255', 'current', 0, now, 37351, 3, 'Wh'],
    ['6.0.2.0.0.255', 'current', 0, now, 56108, -2, 'm3'],
    ['6.0.96.8.0.255', 'telemetry', 0, now, 985, 0, 'h'],
    ['6.0.10.0.0.255', 'telemetry', 0, now, 10169, -2, '°C'],
    ['6.0.11.0.0.255', 'telemetry', 0, now, 4616, -2, '°C'],
    ['6.0.12.0.0.255', 'telemetry', 0, now, 5553, -2, 'K'],
    ['6.0.8.0.0.255', 'telemetry', 0, now, 347, 2, 'W'],
    ['6.0.8.6.0.255', 'telemetry', 0, now, 448, 2, 'W'],
    ['6.0.9.0.0.255', 'telemetry', 0, now, 543, -3, 'm3/h'],
    ['6.0.9.6.0.255', 'telemetry', 0, now, 628, -3, 'm3/h'],
    ['6.0.1.0.1.255', 'current', 1, now, 0, 3, 'Wh'],
    ['6.0.1.0.2.255', 'current', 2, now, 0, 3, 'Wh'],
    ['6.0.1.0.0.1', 'end-of-month', 0, due, 33361, 3, 'Wh'],
    ['6.0.2.0.0.1', 'end-of-month', 0, due, 50098, -2, 'm3'],
    ['6.0.97.97.1.255', 'telemetry', 0, now, 0, 0, ''],
  ]);
  assert.ok(out.rows.every((r) => r.source === 'POLL'));
});

test('ELL AES-CTR telegram without a date-time record: stamped with the frame\'s receive time', () => {
  const out = recordingOutput();
  new MbusFrameDecoder().decode(frame(JMBUS_ELL_CTR), out, device(shipped('MBUS_WATER'), JMBUS_ELL_CTR.key));
  const ts = Math.floor(RECEIVED / 1000);
  assert.deepEqual(rowsOf(out), [
    ['8.0.1.0.0.255', 'current', 0, ts, 474240, -3, 'm3'],
    ['8.0.1.0.0.1', 'end-of-month', 0, ts, 473247, -3, 'm3'],
  ]);
});

test('a telegram of a wired answer without its own dates takes the session\'s times from the reader; its own dates win', () => {
  const session = (json: string): RawFrame => {
    const f = frame(JMBUS_ELL_CTR);
    return { ...f, context: { ...f.context!, protocolContext: Buffer.from(json) } };
  };
  const local0 = Date.UTC(2026, 11, 7, 11, 0), local1 = Date.UTC(2026, 11, 1);
  const out = recordingOutput();
  new MbusFrameDecoder().decode(session(JSON.stringify({ times: { 0: local0, 1: local1 } })), out, device(shipped('MBUS_WATER'), JMBUS_ELL_CTR.key));
  assert.deepEqual(out.rows.map((r) => r.ts), [(local0 - 3_600_000) / 1000, (local1 - 3_600_000) / 1000], 'meter local time in the device zone (+60 min)');
  const garbled = recordingOutput();
  new MbusFrameDecoder().decode(session('{"times": '), garbled, device(shipped('MBUS_WATER'), JMBUS_ELL_CTR.key));
  assert.deepEqual(garbled.rows.map((r) => r.ts), Array(2).fill(Math.floor(RECEIVED / 1000)));
  const own = recordingOutput();
  const withDate = frame(OMS_MODE5);
  new MbusFrameDecoder().decode({ ...withDate, context: { ...withDate.context!, protocolContext: Buffer.from(JSON.stringify({ times: { 0: local0 } })) } }, own, device({ mbus: GAS }, OMS_MODE5.key));
  assert.equal(own.rows[0]!.ts, Date.UTC(2008, 4, 31, 22, 50) / 1000);
  // A part of a wired answer holding none of the profile's records is no error; a whole telegram is.
  const heatOnly = { id: 'HEAT', mbus: { records: [{ quantity: 'energy', obis: '6.0.1.0.0.255' }] } };
  assert.equal(new MbusFrameDecoder().decode(session('{"times": {}}'), recordingOutput(), device(heatOnly, JMBUS_ELL_CTR.key)), 0);
  assert.throws(() => new MbusFrameDecoder().decode(frame(JMBUS_ELL_CTR), recordingOutput(), device(heatOnly, JMBUS_ELL_CTR.key)), /none of the telegram's 3 records/);
});

test('each row keeps its archive\'s retention when the device context has them, else the frame\'s', () => {
  const out = recordingOutput();
  new MbusFrameDecoder().decode(frame(JMBUS_ELL_CTR), out, { ...device(shipped('MBUS_WATER'), JMBUS_ELL_CTR.key), retentionDays: { current: 400, 'end-of-month': 0 } });
  assert.deepEqual(out.rows.map((r) => [r.archive, r.retentionDays]), [['current', 400], ['end-of-month', 0]]);
});

test('bad input fails the frame with a coded reason: wrong or missing key, MAC, CRC, truncation, no mapping, no profile', () => {
  const d = new MbusFrameDecoder();
  const fails = (f: RawFrame, ctx: DeviceContext | null, code: string, message: RegExp) => {
    assert.throws(() => d.decode(f, recordingOutput(), ctx), (e: unknown) => e instanceof MbusError && e.code === code && message.test(e.message));
  };
  const gas = { id: 'GAS', mbus: GAS };
  fails(frame(OMS_MODE5), device(gas, '000102030405060708090A0B0C0D0E0F'), 'MBUS_ERR_DECRYPT', /decryption failed \(check the key\)/);
  fails(frame(OMS_MODE7), device(gas, '0102030405060708090A0B0C0D0E0F11'), 'MBUS_ERR_DECRYPT', /AFL MAC does not match/);
  fails(frame(OMS_MODE5), device(gas), 'MBUS_ERR_KEY', /device M42 has no MBUS_AES security key/);
  fails(frame(OMS_MODE5), device(gas, 'not hex'), 'MBUS_ERR_KEY', /not 16 bytes of hex/);
  const flipped = Buffer.from(OMS_MODE5.hex, 'hex');
  flipped[5]! ^= 0x01;
  fails(frame(flipped.toString('hex')), device(gas, OMS_MODE5.key), 'MBUS_ERR_CRC', /CRC/);
  fails(frame(OMS_MODE5.hex.slice(0, 40)), device(gas, OMS_MODE5.key), 'MBUS_ERR_LENGTH', /L field/);
  fails(frame(OMS_MODE5), device({ id: 'HEAT', mbus: { records: [{ quantity: 'energy', obis: '6.0.1.0.0.255' }] } }, OMS_MODE5.key), 'MBUS_ERR_PROFILE', /none of the telegram's 3 records is in profile HEAT/);
  fails(frame(OMS_MODE5), device({ id: 'BAD', mbus: { records: [{ quantity: 'date-time', obis: '7.0.0.9.1.255' }] } }, OMS_MODE5.key), 'MBUS_ERR_PROFILE', /maps a date-time record, which is not a number/);
  fails(frame(OMS_MODE5), device({ id: 'BAD2', mbus: { records: [{ quantity: 'volumes', obis: '7.0.3.0.0.255' }] } }, OMS_MODE5.key), 'MBUS_ERR_PROFILE', /profile BAD2: mbus.records\[0\].quantity "volumes"/);
  fails(frame(OMS_MODE5), device({ id: 'DLMS_ONLY' }, OMS_MODE5.key), 'MBUS_ERR_PROFILE', /no device profile with an mbus section/);
  fails(frame(OMS_MODE5), null, 'MBUS_ERR_PROFILE', /device 42 is not in the registry/);
  // Nothing of a failed frame was kept by the decoder: the next good frame decodes alone.
  const out = recordingOutput();
  assert.equal(d.decode(frame(OMS_MODE5), out, device(gas, OMS_MODE5.key)), 3);
});

test('records the profile does not map are counted and listed on the device (its state), not silently dropped; dates are time stamps, not counted', () => {
  const volumeOnly = { mbus: { records: [{ quantity: 'volume', obis: '7.0.3.0.0.255' }] } };
  const out = recordingOutput(1_800_000_000);
  assert.equal(new MbusFrameDecoder().decode(frame(OMS_MODE5), out, device(volumeOnly, OMS_MODE5.key)), 1);
  assert.equal(out.unmapped, 1, 'the error flags; the date-time stamps the volume');
  const ts = Date.UTC(2008, 4, 31, 22, 50);
  assert.deepEqual(out.states, [{ deviceId: 42, archive: 'state-state', code: 'unmapped-records', value: { profile: 'GAS', records: ['02/FD17'] }, at: ts }]);
  // A profile that maps them all adds nothing.
  const all = recordingOutput(1_800_000_000);
  new MbusFrameDecoder().decode(frame(OMS_MODE5), all, device({ mbus: GAS }, OMS_MODE5.key));
  assert.equal(all.unmapped ?? 0, 0);
});
