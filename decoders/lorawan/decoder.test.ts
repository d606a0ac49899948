/**
 * LoRaWAN payload codecs with documented vectors (decoders/lorawan/fixtures.ts) and the pool's decoder: the
 * codec per fPort from the device profile, values to readings, the status word to events, bad payloads and
 * missing codecs refused with a reason naming the DevEUI.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordingOutput } from '../testing.js';
import type { DeviceContext, RawFrame } from '../protocol-decoder.js';
import { decodeCayenneLpp } from './cayenne-lpp.js';
import { LorawanDecoder } from './decoder.js';
import { LorawanError } from './errors.js';
import { LPP_VECTORS, TLV_VECTORS } from './fixtures.js';
import { decodeObisTlv, encodeObisTlv } from './obis-tlv.js';
import { OMS_MODE5 } from '../mbus/fixtures.js';
import { encodeApdu } from '../dlms/apdu/index.js';
import { dateTimeFromUtcMs, encodeDateTime } from '../dlms/axdr/datetime.js';
import { parseObis } from '../dlms/obis.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const T = Date.UTC(2026, 11, 7, 10, 30);

describe('Cayenne LPP', () => {
  it('decodes the documented examples', () => {
    assert.deepEqual(decodeCayenneLpp(hex(LPP_VECTORS.twoTemperatures)), [
      { channel: 3, type: 'temperature', raws: [272], scalers: [-1], unit: '°C' },
      { channel: 5, type: 'temperature', raws: [255], scalers: [-1], unit: '°C' },
    ]);
    assert.deepEqual(decodeCayenneLpp(hex(LPP_VECTORS.negativeTemperature))[0]!.raws, [-41]);
    assert.deepEqual(decodeCayenneLpp(hex(LPP_VECTORS.accelerometer))[0]!.raws, [1234, -1234, 0]);
    const gps = decodeCayenneLpp(hex(LPP_VECTORS.gps))[0]!;
    assert.deepEqual([gps.type, gps.raws, gps.scalers], ['gps', [423519, -879094, 1000], [-4, -4, -2]]);
    assert.deepEqual(decodeCayenneLpp(hex('0268A1'))[0]!.raws, [161 * 5], 'humidity in 0.5 % steps: 80.5 %');
  });

  it('refuses unknown types and truncated items with the offset', () => {
    assert.throws(() => decodeCayenneLpp(hex('0399')), (e: LorawanError) => e.code === 'LPP_TYPE' && e.offset === 1);
    assert.throws(() => decodeCayenneLpp(hex('036701')), (e: LorawanError) => e.code === 'LPP_TRUNCATED' && e.offset === 2);
    assert.throws(() => decodeCayenneLpp(hex('03')), (e: LorawanError) => e.code === 'LPP_TRUNCATED');
    assert.throws(() => decodeCayenneLpp(new Uint8Array()), (e: LorawanError) => e.code === 'LPP_EMPTY');
  });
});

describe('OBIS-TLV', () => {
  it('decodes registers, their time and the status word', () => {
    assert.deepEqual(decodeObisTlv(hex(TLV_VECTORS.energy)), { registers: [{ obis: '1.0.1.8.0.255', tariff: 0, raw: 123456, scaler: 0, unit: 30, time: null }], status: null });
    const t = Date.UTC(2026, 11, 7) / 1000;
    assert.deepEqual(decodeObisTlv(hex(TLV_VECTORS.registersAndStatus)), {
      registers: [{ obis: '1.0.1.8.1.255', tariff: 1, raw: 12345, scaler: 2, unit: 30, time: t }, { obis: '1.0.32.7.0.255', tariff: 0, raw: 2314, scaler: -1, unit: 35, time: t }],
      status: 5,
    });
  });

  it('the encoder writes what the decoder reads (signed and 64-bit values)', () => {
    const p = { time: 1_796_601_600, registers: [{ obis: '1.0.2.8.0.255', raw: -5, unit: 30, type: 0x10 }, { obis: '1.0.1.8.0.255', raw: 2 ** 40 + 7, scaler: -3, unit: 30, type: 0x15 }], status: 0x80000000 };
    const d = decodeObisTlv(encodeObisTlv(p));
    assert.deepEqual(d.registers.map((r) => [r.obis, r.raw, r.scaler]), [['1.0.2.8.0.255', -5, 0], ['1.0.1.8.0.255', 2 ** 40 + 7, -3]]);
    assert.equal(d.status, 0x80000000);
    assert.equal(Buffer.from(encodeObisTlv({ registers: [{ obis: '1.0.1.8.0.255', raw: 123456, unit: 30 }] })).toString('hex').toUpperCase(), TLV_VECTORS.energy);
  });

  it('refuses what is not OBIS-TLV v1 with a code and offset', () => {
    const cases: [string, string, number][] = [
      ['02', 'TLV_VERSION', 0], ['0109', 'TLV_TAG', 1], ['0101AABB', 'TLV_TRUNCATED', 2], ['01020100010800FF001E07', 'TLV_VALUE_TYPE', 10],
      ['01020100010800FF001E0600', 'TLV_TRUNCATED', 11], ['01020100010800FF001E15FFFFFFFFFFFFFFFF', 'TLV_VALUE_RANGE', 11],
    ];
    for (const [h, code, offset] of cases) assert.throws(() => decodeObisTlv(hex(h)), (e: LorawanError) => e.code === code && e.offset === offset, h);
  });
});

const profile = {
  id: 'LORAWAN_TEST', name: 't', deviceTypes: ['LORAWAN'], protocol: 'LORAWAN', protocolMaps: [],
  eventSeverities: { 'cover opened': 'major' },
  lorawan: {
    codecs: [{ codec: 'obis-tlv', fPorts: [2] }, { codec: 'cayenne-lpp', fPorts: [1, 3] }],
    channels: [
      { channel: 3, type: 'temperature', obis: '0.0.96.9.0.255', archive: 'telemetry' },
      { channel: 4, type: 'analog-input', obis: '8.0.1.0.0.255', unit: 'm³', scaler: -1 },
      { channel: 6, obis: '0.0.96.9.1.255' },
    ],
    statusBits: [{ bit: 0, name: 'cover opened', journal: 'external-impact' }],
  },
};
const device: DeviceContext = { num: 42, serial: 'LW-1', projectId: 'p', profile: { id: profile.id, version: '1', body: profile }, protocol: { kind: 'LORAWAN', settings: {} }, secrets: {}, overrides: {} };

function uplink(payload: string, fPort: number): RawFrame {
  return {
    frameId: 'chirpstack:dedup-1', wire: Buffer.from(payload, 'hex'), framing: 'LORAWAN', direction: 'UPLINK', deviceId: 42, commLineId: null, connector: 'chirpstack',
    receivedAt: T, sessionId: null, protocol: 'lorawan', meta: { devEui: '0004A30B001C0530', fPort: String(fPort), fCnt: '17' },
    context: { archive: 'current', retentionDays: 365, deviceTzMinutes: 180, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
  };
}

describe('LoRaWAN decoder', () => {
  const decoder = new LorawanDecoder();

  it('fPort 2 through OBIS-TLV: readings with tariff, unit and time; status bits as events with severities', () => {
    const out = recordingOutput(1_800_000_000);
    assert.equal(decoder.needsDevice(), true);
    assert.equal(decoder.decode(uplink(TLV_VECTORS.registersAndStatus, 2), out, device), 2);
    const t = Date.UTC(2026, 11, 7) / 1000;
    assert.deepEqual(out.rows.map((r) => [r.deviceId, r.archive, r.obis, r.tariff, r.ts, r.value, r.unit, r.deviceTz, r.source, r.retentionDays]), [
      [42, 'current', '1.0.1.8.1.255', 1, t, 1234500, 'Wh', 180, 'PUSH', 365],
      [42, 'current', '1.0.32.7.0.255', 0, t, 231.4, 'V', 180, 'PUSH', 365],
    ]);
    assert.deepEqual(out.events.map((e) => [e.journal, e.ts, e.code, e.name, e.severity, JSON.parse(e.params), e.collected_at]), [
      ['external-impact', t, 0, 'cover opened', 'major', { statusWord: 5, fCnt: 17 }, 1_800_000_000],
      ['self-diagnostics', t, 2, 'status bit 2', '', { statusWord: 5, fCnt: 17 }, 1_800_000_000],
    ]);
    // Without a TIME record the readings take the uplink's time.
    const plain = recordingOutput();
    decoder.decode(uplink(TLV_VECTORS.energy, 2), plain, { ...device, overrides: { severities: { 'cover opened': 'critical' } } });
    assert.deepEqual(plain.rows.map((r) => [r.ts, r.value]), [[T / 1000, 123456]]);
  });

  it('fPort 1 and 3 through Cayenne LPP: the channels the profile maps, with its OBIS, archive, unit and scaler', () => {
    const out = recordingOutput();
    // ch 3 temperature 27.2 °C, ch 4 analog input 123.45 (m³ ×10^-1), ch 9 temperature (not mapped).
    assert.equal(decoder.decode(uplink('036701100402303909670100', 1), out, device), 2);
    assert.deepEqual(out.rows.map((r) => [r.archive, r.obis, r.value, r.unit, r.ts]), [
      ['telemetry', '0.0.96.9.0.255', 27.2, '°C', T / 1000],
      ['current', '8.0.1.0.0.255', 12.345, 'm³', T / 1000],
    ]);
    assert.throws(() => decoder.decode(uplink(LPP_VECTORS.accelerometer, 3), recordingOutput(), device), (e: LorawanError) => e.code === 'LPP_NOT_A_READING');
  });

  it('a ChirpStack device-status event is a state change of the device (battery, link margin)', () => {
    const out = recordingOutput();
    const status = { ...uplink('', 0), meta: { event: 'status', devEui: '0004A30B001C0530', margin: '7', externalPowerSource: 'false', batteryLevel: '87.5' } };
    assert.equal(decoder.decode(status, out, device), 0);
    assert.deepEqual(out.states, [{ deviceId: 42, archive: 'state-info', code: 'lorawan-status', at: T, value: { batteryLevel: 87.5, margin: 7, externalPowerSource: false } }]);
    const mains = recordingOutput();
    decoder.decode({ ...status, meta: { event: 'status', margin: '-3', externalPowerSource: 'true' } }, mains, { ...device, profile: null });
    assert.deepEqual(mains.states[0]!.value, { batteryLevel: null, margin: -3, externalPowerSource: true });
    const join = recordingOutput();
    decoder.decode({ ...status, meta: { event: 'join', devAddr: '01FA3B2C' } }, join, device);
    assert.deepEqual(join.states, [{ deviceId: 42, archive: 'state-info', code: 'lorawan-join', at: T, value: { devAddr: '01FA3B2C' } }]);
  });

  it('keeps the radio figures the profile names as readings of the uplink\'s time', () => {
    const radio = { archive: 'network', rssi: '0.128.96.12.5.255', snr: '0.128.96.12.6.255', gateways: '0.128.96.12.7.255' };
    const withRadio = { ...device, profile: { id: 'R', version: '1', body: { ...profile, lorawan: { ...profile.lorawan, radio } } } };
    const out = recordingOutput();
    const frame = { ...uplink(TLV_VECTORS.energy, 2), meta: { devEui: '0004A30B001C0530', fPort: '2', fCnt: '1', rssi: '-97', snr: '-7.5', gateways: '2' } };
    assert.equal(decoder.decode(frame, out, withRadio), 4);
    assert.deepEqual(out.rows.slice(1).map((r) => [r.archive, r.obis, r.ts, r.value, r.unit]), [
      ['network', '0.128.96.12.5.255', T / 1000, -97, 'dBm'], ['network', '0.128.96.12.6.255', T / 1000, -7.5, 'dB'], ['network', '0.128.96.12.7.255', T / 1000, 2, ''],
    ]);
  });

  it('refuses an uplink it cannot decode, naming the DevEUI and fPort', () => {
    const cases: [RawFrame, DeviceContext | null, string, RegExp][] = [
      [uplink('0399', 1), device, 'LPP_TYPE', /^DevEUI 0004A30B001C0530 fPort 1: channel 3: LPP type 153/],
      [uplink('01', 5), device, 'LORAWAN_NO_CODEC', /names no codec for fPort 5/],
      [uplink('01', 2), null, 'LORAWAN_NO_DEVICE', /no such device/],
      [uplink('01', 2), { ...device, profile: null }, 'LORAWAN_NO_CODEC', /has no lorawan section/],
      [{ ...uplink('01', 2), context: null }, device, 'LORAWAN_NO_CONTEXT', /no decoding context/],
    ];
    for (const [frame, d, code, message] of cases) {
      assert.throws(() => decoder.decode(frame, recordingOutput(), d), (e: LorawanError) => e.code === code && message.test(e.message), code);
    }
  });

  it('codec wmbus: a wireless M-Bus telegram in the payload, decoded by the profile\'s mbus mapping with the device\'s key; a wrong key names the DevEUI', () => {
    const body = {
      ...profile, id: 'LORAWAN_WATER', lorawan: { codecs: [{ codec: 'wmbus', fPorts: [5] }] },
      mbus: { records: [{ quantity: 'volume', obis: '8.0.1.0.0.255' }, { quantity: 'error-flags', obis: '8.0.97.97.0.255', archive: 'telemetry' }] },
    };
    const meter: DeviceContext = { ...device, profile: { id: body.id, version: '1', body }, secrets: { MBUS_AES: OMS_MODE5.key! } };
    const out = recordingOutput();
    assert.equal(decoder.decode(uplink(OMS_MODE5.hex, 5), out, meter), 2);
    // The OMS example's volume, 28 504.27 m3, at its date-time (2008-05-31 23:50 local, the device three hours east of UTC).
    const ts = Date.UTC(2008, 4, 31, 20, 50) / 1000;
    assert.deepEqual(out.rows.map((r) => [r.deviceId, r.archive, r.obis, r.ts, r.value, r.unit, r.source]), [
      [42, 'current', '8.0.1.0.0.255', ts, 28504.27, 'm3', 'PUSH'],
      [42, 'telemetry', '8.0.97.97.0.255', ts, 0, '', 'PUSH'],
    ]);
    assert.throws(
      () => decoder.decode(uplink(OMS_MODE5.hex, 5), recordingOutput(), { ...meter, secrets: { MBUS_AES: '000102030405060708090A0B0C0D0E0F' } }),
      (e: Error & { code?: string }) => e.code === 'MBUS_ERR_DECRYPT' && /^DevEUI 0004A30B001C0530 fPort 5: decryption failed/.test(e.message),
    );
  });
});

describe('LoRaWAN decoder with the dlms codec', () => {
  // A meter pushing its A+ T1 register in a DataNotification as the FRMPayload; the profile's pushes declare the list.
  const pushes = [{
    obis: '0.6.25.9.0.255', trigger: 'on-change', service: 'udp',
    objects: [{ classId: 40, obis: '0.6.25.9.0.255', attribute: 1 }, { classId: 8, obis: '0.0.1.0.0.255', attribute: 2 }, { classId: 3, obis: '1.0.1.8.1.255', attribute: 2, archive: 'current', scaler: -1, unit: 'kWh', tariff: 1 }],
  }];
  const body = { id: 'LORAWAN_DLMS', name: 'd', deviceTypes: ['LORAWAN'], protocol: 'LORAWAN', protocolMaps: [], pushes, lorawan: { codecs: [{ codec: 'dlms', fPorts: [5] }] } };
  const dlmsDevice: DeviceContext = { ...device, profile: { id: body.id, version: '1', body }, retentionDays: { current: 90 } };
  const at = Date.UTC(2026, 11, 7, 9);

  it('decodes a DataNotification in the FRMPayload as the profile\'s pushes declare; a GET response (no request to pair it with) is refused', () => {
    const apdu = encodeApdu({
      type: 'data-notification', longInvokeIdAndPriority: 1, body: {
        type: 'structure', value: [
          { type: 'octet-string', value: parseObis('0.6.25.9.0.255') }, { type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(at, 0, 0)) }, { type: 'double-long-unsigned', value: 123456 },
        ],
      },
    });
    const out = recordingOutput();
    assert.equal(decoder().decode(uplink(Buffer.from(apdu).toString('hex'), 5), out, dlmsDevice), 1);
    assert.deepEqual(out.rows.map((r) => [r.deviceId, r.archive, r.obis, r.tariff, r.ts, r.value, r.unit, r.retentionDays]), [[42, 'current', '1.0.1.8.1.255', 1, at / 1000, 12345.6, 'kWh', 90]]);
    assert.throws(() => decoder().decode(uplink('C401C100060000303900', 5), recordingOutput(), dlmsDevice), (e: Error & { code?: string }) => e.code === 'DLMS_ERR_TAG' && /^DevEUI 0004A30B001C0530 fPort 5: a push must be a DataNotification/.test(e.message));
  });
});

function decoder(): LorawanDecoder {
  return new LorawanDecoder();
}
