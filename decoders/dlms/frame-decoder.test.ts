/**
 * The DLMS decoder of the pool beyond the load-profile fast path: plain attribute reads (one value, or a list with
 * the clock), columns not to store, floats, values the meter lacks, event journals with code names, and the
 * errors that send a frame to the dead letters whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeApdu } from './apdu/index.js';
import type { GetDataResult } from './apdu/xdlms/common.js';
import { dateTimeFromUtcMs, encodeDateTime } from './axdr/datetime.js';
import type { DlmsData } from './axdr/types.js';
import { isDlmsError } from './errors.js';
import { avroType } from '../../schemas/avro/index.js';
import { Quality, type CaptureObject, type DecodingContext, type RawFrame } from '../protocol-decoder.js';
import { recordingOutput } from '../testing.js';
import { DlmsFrameDecoder } from './frame-decoder.js';
import { LOAD_PROFILE_CONTEXT, loadProfileFrame } from './samples.js';

/** Frames through the Avro raw-frame schema (the context must encode) and the decoder, as the pool runs them. */
function decodeFrames(frames: RawFrame[], collectedAtSec?: number) {
  const type = avroType('raw-frame');
  const decoder = new DlmsFrameDecoder();
  const out = recordingOutput(collectedAtSec);
  for (const f of frames) decoder.decode(type.fromBuffer(type.toBuffer(f)) as RawFrame, out, undefined);
  return { readings: out.rows, events: out.events };
}

const T = Date.parse('2025-05-28T12:34:56Z');
const RECEIVED = Date.parse('2025-05-28T12:35:10Z');
const co = (obis: string, classId = 3, extra: Partial<CaptureObject> = {}): CaptureObject => (
  { classId, obis, attribute: 2, dataIndex: 0, scaler: 0, unit: '', readingType: null, tariff: 0, ...extra }
);
const clock = co('0.0.1.0.0.255', 8);
/** A date-time cell: local time UTC+3 (deviation -180), clock status `status`. */
const time = (ms: number, status = 0): DlmsData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(ms, -180, status)) });
const context = (captureObjects: CaptureObject[], extra: Partial<DecodingContext> = {}): DecodingContext => (
  { archive: 'current', retentionDays: 365, deviceTzMinutes: 180, source: 'POLL', captureObjects, journal: null, eventCodes: null, ...extra }
);
const frame = (apdu: Uint8Array, ctx: DecodingContext): RawFrame => ({
  frameId: 'f', wire: Buffer.from(apdu), framing: 'APDU', direction: 'UPLINK', deviceId: 7, commLineId: null, connector: 'tcp', receivedAt: RECEIVED, sessionId: 's', context: ctx,
});
const normal = (value: DlmsData) => encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data', value } });
const list = (results: GetDataResult[]) => encodeApdu({ type: 'get-response-with-list', invokeIdAndPriority: 0xc1, results });
const data = (value: DlmsData): GetDataResult => ({ type: 'data', value });

test('a GET-With-List of registers and the clock: one reading per register, stamped with the clock', () => {
  const objects = [clock, co('1.0.1.8.0.255', 3, { unit: 'Wh' }), co('1.0.1.8.1.255', 3, { unit: 'Wh', tariff: 1, scaler: 1 }), co('1.0.2.8.0.255'), co('1.0.32.7.0.255', 3, { unit: 'V', scaler: -1 })];
  const apdu = list([
    data(time(T)), data({ type: 'double-long-unsigned', value: 123456 }), data({ type: 'double-long-unsigned', value: 42 }),
    { type: 'data-access-result', value: 4 }, data({ type: 'long-unsigned', value: 2301 }),
  ]);
  const { readings, events } = decodeFrames([frame(apdu, context(objects))]);
  assert.deepEqual(events, []);
  // The register the meter lacks (object-undefined) is no reading.
  assert.deepEqual(readings.map((r) => [r.obis, r.tariff, r.raw, r.scaler, r.value, r.unit, r.ts * 1000]), [
    ['1.0.1.8.0.255', 0, 123456, 0, 123456, 'Wh', T],
    ['1.0.1.8.1.255', 1, 42, 1, 420, 'Wh', T],
    ['1.0.32.7.0.255', 0, 2301, -1, 230.1, 'V', T],
  ]);
  assert.ok(readings.every((r) => r.deviceId === 7 && r.archive === 'current' && r.deviceTz === 180 && r.retentionDays === 365 && r.quality === (Quality.dataPresent | Quality.timeNormal)));
});

test('one value without a clock is stamped when received; a doubtful clock marks the time not normal', () => {
  const [one] = decodeFrames([frame(normal({ type: 'double-long', value: -5 }), context([co('1.0.16.7.0.255', 3, { unit: 'W' })], { archive: 'network' }))]).readings;
  assert.deepEqual([one!.ts * 1000, one!.value, one!.archive], [Math.floor(RECEIVED / 1000) * 1000, -5, 'network']);
  const doubtful = decodeFrames([frame(list([data(time(T, 0x02)), data({ type: 'unsigned', value: 3 })]), context([clock, co('1.0.14.7.0.255')]))]).readings;
  assert.equal(doubtful[0]!.quality, Quality.dataPresent);
});

test('floats are stored as integers with a decimal scaler; columns marked not to store are skipped', () => {
  const { readings } = decodeFrames([frame(list([data({ type: 'float32', value: 49.5 }), data({ type: 'float64', value: 0.125 }), data({ type: 'unsigned', value: 1 })]),
    context([co('1.0.14.7.0.255', 3, { scaler: 0 }), co('1.0.13.7.0.255', 3, { scaler: 1 }), co('1.0.33.7.0.255', 3, { store: false })]))]);
  assert.deepEqual(readings.map((r) => [r.obis, r.raw, r.scaler, r.value]), [['1.0.14.7.0.255', 495, -1, 49.5], ['1.0.13.7.0.255', 125, -2, 1.25]]);
  // On the profile fast path too: a register column with store=false is parsed, not stored.
  const lp = loadProfileFrame(3, Date.parse('2025-05-01T00:00:00Z'));
  lp.context = { ...LOAD_PROFILE_CONTEXT, captureObjects: LOAD_PROFILE_CONTEXT.captureObjects.map((o, i) => (i === 2 || i === 3 ? { ...o, store: false } : o)) };
  const stored = decodeFrames([lp]).readings;
  assert.equal(stored.length, 96 * 2);
  assert.deepEqual([...new Set(stored.map((r) => r.obis))], ['1.0.1.8.0.255', '1.0.4.8.0.255']);
});

test('an event journal becomes events: time, code, its name from the code table, the other columns and the raw row', () => {
  const objects = [clock, co('0.0.96.11.2.255', 1), co('0.0.96.15.0.255', 1)];
  const row = (ms: number, code: number): DlmsData => ({ type: 'structure', value: [time(ms), { type: 'long-unsigned', value: code }, { type: 'double-long-unsigned', value: 77 }] });
  const buffer: DlmsData = { type: 'array', value: [row(T - 3_600_000, 1), row(T, 2), row(T + 60_000, 9)] };
  const { readings, events } = decodeFrames([frame(normal(buffer), context(objects, { archive: 'events', journal: 'power-on-off', eventCodes: 'power' }))], 1_700_000_000);
  assert.deepEqual(readings, []);
  assert.deepEqual(events.map((e) => [e.journal, e.ts * 1000, e.code, e.name]), [
    ['power-on-off', T - 3_600_000, 1, 'power off'], ['power-on-off', T, 2, 'power on'], ['power-on-off', T + 60_000, 9, 'unknown'],
  ]);
  assert.deepEqual(JSON.parse(events[0]!.params), { '0.0.96.15.0.255': { 'double-long-unsigned': 77 } });
  assert.match(events[0]!.raw, /^0203090C/);
  assert.ok(events.every((e) => e.device_id === 7 && e.device_tz === 180 && e.collected_at === 1_700_000_000 && e.retention_days === 365 && e.source === 'POLL'));
});

test('frames that cannot be stored whole fail with a coded error', () => {
  const fails = (f: RawFrame, code: string, message: RegExp) => assert.throws(() => decodeFrames([f]), (e: unknown) => isDlmsError(e) && e.code === code && message.test(e.message));
  const one = context([co('1.0.1.8.0.255')]);
  fails(frame(encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data-access-result', value: 4 } }), one), 'DLMS_ERR_TAG', /object-undefined/);
  fails(frame(normal({ type: 'visible-string', value: 'x' }), one), 'DLMS_ERR_VALUE', /not a measurement/);
  fails(frame(list([data({ type: 'unsigned', value: 1 })]), context([clock, co('1.0.1.8.0.255')])), 'DLMS_ERR_VALUE', /1 values for 2 capture objects/);
  fails(frame(normal({ type: 'unsigned', value: 1 }), context([clock, co('0.0.96.11.0.255', 1)], { journal: 'voltage' })), 'DLMS_ERR_TAG', /journal voltage/);
  const noCode: DlmsData = { type: 'array', value: [{ type: 'structure', value: [time(T), { type: 'visible-string', value: 'x' }] }] };
  fails(frame(normal(noCode), context([clock, co('0.0.96.20.0.255', 1)], { journal: 'voltage' })), 'DLMS_ERR_VALUE', /without an event code/);
});
