/**
 * Pushes through the DLMS decoder: DataNotifications decoded as the device profile's Push Setups declare
 * (profile buffers on the fast path, registers stamped with the push's time, journals and alarm registers as
 * events with severities, the last gasp as an outage), ciphered ones deciphered with the device's keys, and the
 * pushes that must go to the dead letters whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeApdu } from './apdu/index.js';
import { dateTimeFromUtcMs, encodeDateTime } from './axdr/datetime.js';
import type { DlmsData } from './axdr/types.js';
import { isDlmsError } from './errors.js';
import { parseObis } from './obis.js';
import { encipherApdu } from './security/index.js';
import { encodeWpdu } from './wrapper/wpdu.js';
import { Quality, type DeviceContext, type RawFrame } from '../protocol-decoder.js';
import { recordingOutput } from '../testing.js';
import { DlmsFrameDecoder } from './frame-decoder.js';
import type { PushSetupDeclaration } from './push-profile.js';

const T = Date.parse('2025-05-28T12:15:00Z');
const RECEIVED = T + 42_000;
const EK = '000102030405060708090a0b0c0d0e0f';
const AK = 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf';
const SYSTEM_TITLE = Uint8Array.from([0x53, 0x49, 0x4d, 0, 0, 0, 0, 7]);

const clockObject = { classId: 8, obis: '0.0.1.0.0.255', attribute: 2 };
const head = (obis: string) => [{ classId: 40, obis, attribute: 1 }, { classId: 1, obis: '0.0.42.0.0.255', attribute: 2 }, clockObject];
const PUSHES: PushSetupDeclaration[] = [
  {
    obis: '0.2.25.9.0.255', trigger: 'interval', service: 'tcp', randomisationS: 60,
    objects: [...head('0.2.25.9.0.255'), {
      classId: 7, obis: '1.0.99.1.0.255', attribute: 2, dataIndex: 2, archive: 'profile-15',
      captureObjects: [clockObject, { classId: 3, obis: '1.0.1.8.0.255', attribute: 2, unit: 'Wh' }, { classId: 3, obis: '1.0.3.8.0.255', attribute: 2, scaler: 1, unit: 'varh' }],
    }],
  },
  {
    obis: '0.6.25.9.0.255', trigger: 'on-change', service: 'tcp',
    objects: [{ classId: 40, obis: '0.6.25.9.0.255', attribute: 1 }, clockObject, { classId: 3, obis: '1.0.1.8.1.255', attribute: 2, archive: 'current', scaler: -1, unit: 'kWh', tariff: 1 }],
  },
  // two alarm setups of the same shape: told apart by the setup's name, first in the list
  ...[['0.3.25.9.0.255', 'power-on-off', 'power', '1.0.99.97.0.255'], ['0.4.25.9.0.255', 'external-impact', 'idis-fraud', '0.0.99.98.1.255']].map(([obis, journal, codes, buffer]): PushSetupDeclaration => ({
    obis: obis!, trigger: 'alarm', service: 'tcp',
    objects: [...head(obis!), { classId: 7, obis: buffer!, attribute: 2, dataIndex: 1, journal: journal!, eventCodes: codes!, captureObjects: [clockObject, { classId: 1, obis: '0.0.96.11.0.255', attribute: 2 }] }],
  })),
  {
    obis: '0.7.25.9.0.255', trigger: 'alarm', service: 'tcp',
    objects: [{ classId: 40, obis: '0.7.25.9.0.255', attribute: 1 }, clockObject, { classId: 1, obis: '0.0.97.98.0.255', attribute: 2, alarmBits: 'idis-alarm' }],
  },
  // the last gasp: the logical device name and an event code
  {
    obis: '0.8.25.9.0.255', trigger: 'power-down', service: 'tcp',
    objects: [{ classId: 1, obis: '0.0.42.0.0.255', attribute: 2 }, { classId: 1, obis: '0.0.96.11.0.255', attribute: 2, journal: 'power-on-off', eventCodes: 'idis-standard' }],
  },
];
const SEVERITIES = { 'power up': 'info', 'fraud attempt': 'critical', 'power off': 'major', 'power down': 'critical' };

const device = (o: Partial<DeviceContext> = {}): DeviceContext => ({
  num: 7, serial: 'SIM0000000000007', projectId: 'p', profile: { id: 'DL_TEST', version: '1', body: { pushes: PUSHES, eventSeverities: SEVERITIES } },
  protocol: { kind: 'DLMS', settings: {} }, secrets: { encryptionKey: EK, authenticationKey: AK }, overrides: {}, retentionDays: { 'profile-15': 365, current: 90, events: 730 }, ...o,
});

/** Local time UTC+3 (deviation -180). */
const time = (ms: number, status = 0): DlmsData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(ms, -180, status)) });
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const name = (obis: string): DlmsData => ({ type: 'octet-string', value: parseObis(obis) });
const ldn: DlmsData = { type: 'octet-string', value: new TextEncoder().encode('SIM0000000000007') };
const notification = (body: DlmsData[], at: number | null = T) => encodeApdu({
  type: 'data-notification', longInvokeIdAndPriority: 1, ...(at === null ? {} : { dateTime: dateTimeFromUtcMs(at, -180, 0) }), body: { type: 'structure', value: body },
});
const intervalPush = (at: number | null = T) => notification([
  name('0.2.25.9.0.255'), ldn, time(T),
  { type: 'array', value: [{ type: 'structure', value: [time(T - 900_000), u32(1000), u32(20)] }, { type: 'structure', value: [time(T), u32(1250), u32(21)] }] },
], at);
const frame = (apdu: Uint8Array, framing: RawFrame['framing'] = 'APDU'): RawFrame => ({
  frameId: 'f', wire: Buffer.from(framing === 'WRAPPER' ? encodeWpdu(1, 102, apdu) : apdu), framing, direction: 'UPLINK', deviceId: 7, commLineId: null, connector: 'cenc',
  receivedAt: RECEIVED, sessionId: null, context: null, protocol: 'dlms', meta: {},
});
const cipher = (apdu: Uint8Array, key = EK) => encipherApdu(apdu, {
  keys: { globalUnicastKey: Buffer.from(key, 'hex'), authenticationKey: Buffer.from(AK, 'hex') }, systemTitle: SYSTEM_TITLE, invocationCounter: 9,
  protection: 'authenticated-encryption', envelope: 'general',
});

function decode(f: RawFrame, d: DeviceContext | null = device()) {
  const decoder = new DlmsFrameDecoder();
  assert.equal(decoder.needsDevice(f), true, 'a push needs its device context');
  const out = recordingOutput(1_800_000_000);
  const n = decoder.decode(f, out, d);
  assert.equal(n, out.rows.length);
  return out;
}

const expectedInterval = [
  ['profile-15', '1.0.1.8.0.255', T / 1000 - 900, 1000, 0, 'Wh'],
  ['profile-15', '1.0.3.8.0.255', T / 1000 - 900, 20, 1, 'varh'],
  ['profile-15', '1.0.1.8.0.255', T / 1000, 1250, 0, 'Wh'],
  ['profile-15', '1.0.3.8.0.255', T / 1000, 21, 1, 'varh'],
];

test('an interval push: the newest profile rows on the fast path, the profile’s scalers, source PUSH, the archive’s retention, the zone of the push', () => {
  const { rows, events } = decode(frame(intervalPush(), 'WRAPPER'));
  assert.deepEqual(events, []);
  assert.deepEqual(rows.map((r) => [r.archive, r.obis, r.ts, r.raw, r.scaler, r.unit]), expectedInterval);
  assert.ok(rows.every((r) => r.deviceId === 7 && r.source === 'PUSH' && r.retentionDays === 365 && r.deviceTz === 180 && r.quality === (Quality.dataPresent | Quality.timeNormal)));
});

test('every push tells that the device communicates (an outage it had is over); a power-down push starts one at its time', () => {
  assert.deepEqual(decode(frame(intervalPush())).states, [{ deviceId: 7, archive: 'state-outage', code: 'power', value: 'on', at: RECEIVED }]);
  const gasp = decode(frame(notification([ldn, { type: 'unsigned', value: 1 }])));
  assert.deepEqual(gasp.states, [{ deviceId: 7, archive: 'state-outage', code: 'power', value: 'off', at: T }]);
  assert.deepEqual(gasp.events.map((e) => [e.journal, e.code, e.name, e.severity, e.ts]), [['power-on-off', 1, 'power down', 'critical', T / 1000]]);
});

test('an alarm register pushed (DataNotification or EventNotification): one event per bit set, named by the table, with the profile’s severity or the project’s', () => {
  const bits: DlmsData = u32((1 << 2) | (1 << 13));
  const pushed = decode(frame(notification([name('0.7.25.9.0.255'), time(T), bits], null)));
  const expected = [['alarms', T / 1000, 2, 'power up', 'info'], ['alarms', T / 1000, 13, 'fraud attempt', 'critical']];
  assert.deepEqual(pushed.events.map((e) => [e.journal, e.ts, e.code, e.name, e.severity]), expected);
  assert.deepEqual(pushed.rows, []);
  assert.equal(pushed.events[0]!.params, JSON.stringify({ '0.0.97.98.0.255': 8196 }));
  // the same register as an EventNotification (class 1, attribute 2), its time in the notification
  const event = encodeApdu({ type: 'event-notification-request', time: dateTimeFromUtcMs(T, -180, 0), attribute: { classId: 1, instanceId: parseObis('0.0.97.98.0.255'), attributeId: 2 }, value: bits });
  assert.deepEqual(decode(frame(event)).events.map((e) => [e.journal, e.ts, e.code, e.name, e.severity]), expected);
  // a project overrides a severity by event name; an unknown severity is ignored
  const project = decode(frame(event), device({ overrides: { severities: { 'fraud attempt': 'major', 'power up': 'loud' } } }));
  assert.deepEqual(project.events.map((e) => e.severity), ['info', 'major']);
  const undeclared = encodeApdu({ type: 'event-notification-request', attribute: { classId: 1, instanceId: parseObis('0.0.97.97.0.255'), attributeId: 2 }, value: bits });
  assert.throws(() => decode(frame(undeclared)), /EventNotification of 1\/0.0.97.97.0.255\/2 \(class\/OBIS\/attribute\): no Push Setup of profile DL_TEST declares it/);
});

test('a general-glo-ciphered push is deciphered with the device’s keys; the same readings as plain', () => {
  const { rows } = decode(frame(cipher(intervalPush()), 'WRAPPER'));
  assert.deepEqual(rows.map((r) => [r.archive, r.obis, r.ts, r.raw, r.scaler, r.unit]), expectedInterval);
});

test('a register push without its own date-time is stamped with the clock it carries', () => {
  const at = T + 3_600_000;
  const { rows } = decode(frame(notification([name('0.6.25.9.0.255'), time(at, 0x80), u32(123456)], null)));
  assert.deepEqual(rows.map((r) => [r.archive, r.obis, r.tariff, r.ts, r.raw, r.scaler, r.value, r.unit, r.retentionDays, r.source]), [
    ['current', '1.0.1.8.1.255', 1, at / 1000, 123456, -1, 12345.6, 'kWh', 90, 'PUSH'],
  ]);
  assert.equal(rows[0]!.quality, Quality.dataPresent | Quality.timeNormal, 'daylight saving (0x80) is a normal clock');
});

test('alarm pushes of the same shape go to the journal their setup names, with the code table’s names', () => {
  const alarm = (setup: string, code: number) => notification([name(setup), ldn, time(T), { type: 'array', value: [{ type: 'structure', value: [time(T), { type: 'unsigned', value: code }] }] }]);
  const power = decode(frame(alarm('0.3.25.9.0.255', 1)));
  const fraud = decode(frame(alarm('0.4.25.9.0.255', 40)));
  assert.deepEqual([...power.events, ...fraud.events].map((e) => [e.journal, e.ts, e.code, e.source, e.retention_days, e.device_tz]), [
    ['power-on-off', T / 1000, 1, 'PUSH', 730, 180],
    ['external-impact', T / 1000, 40, 'PUSH', 730, 180],
  ]);
  assert.deepEqual([power.events[0]!.name, power.events[0]!.severity], ['power off', 'major']);
  assert.notEqual(fraud.events[0]!.name, 'unknown');
  assert.deepEqual([power.rows, fraud.rows], [[], []]);
});

test('bad pushes fail whole with a reason: unknown device, no profile pushes, wrong key, no key, another structure, truncated, not a notification', () => {
  const fails = (f: RawFrame, d: DeviceContext | null, code: string, reason: RegExp) => {
    assert.throws(() => decode(f, d), (e: unknown) => isDlmsError(e) && new RegExp(`^${code}$`).test(e.code) && reason.test(e.message));
  };
  fails(frame(intervalPush()), null, 'DLMS_ERR_VALUE', /device 7: the registry knows no such device/);
  fails(frame(intervalPush()), device({ profile: { id: 'DL_PLAIN', version: '1', body: {} } }), 'DLMS_ERR_VALUE', /profile DL_PLAIN declares no Push Setups/);
  fails(frame(intervalPush()), device({ profile: null }), 'DLMS_ERR_VALUE', /has no device profile/);
  fails(frame(cipher(intervalPush(), 'ffffffffffffffffffffffffffffffff')), device(), 'DLMS_ERR_SECURITY', /./);
  fails(frame(cipher(intervalPush())), device({ secrets: {} }), 'DLMS_ERR_SECURITY', /has no encryption key/);
  // the setup named, but one element short; an unknown setup name
  fails(frame(notification([name('0.2.25.9.0.255'), ldn, time(T)])), device(), 'DLMS_ERR_VALUE', /its 3 elements match none of the Push Setups of profile DL_TEST/);
  fails(frame(notification([name('0.9.25.9.0.255'), ldn, time(T), { type: 'array', value: [] }])), device(), 'DLMS_ERR_VALUE', /match none/);
  // a profile row of three columns where the profile declares two
  const wide = notification([name('0.2.25.9.0.255'), ldn, time(T), { type: 'array', value: [{ type: 'structure', value: [time(T), u32(1), u32(2), u32(3)] }] }]);
  assert.throws(() => decode(frame(wide)), (e: unknown) => isDlmsError(e));
  const whole = intervalPush();
  fails(frame(whole.subarray(0, whole.length - 3)), device(), 'DLMS_ERR_TRUNCATED', /./);
  fails(frame(whole.subarray(0, 30)), device(), 'DLMS_ERR_(TRUNCATED|LENGTH)', /exceeds|expected/);
  fails(frame(Uint8Array.from([0xc4, 0x01, 0xc1, 0x00, 0x06, 0, 0, 0, 1])), device(), 'DLMS_ERR_TAG', /must be a DataNotification \(0x0F\) or an EventNotification/);
  // an alarm register that is no bit field
  fails(frame(notification([name('0.7.25.9.0.255'), time(T), ldn])), device(), 'DLMS_ERR_VALUE', /alarm register 0.0.97.98.0.255 is a octet-string, not a bit field/);
});
