/**
 * The reading feed carries CIM reading types: a DLMS capture object without its own reading type gets the
 * catalogue's (schemas/cim/reading-types.ts) for its archive, OBIS code and tariff, in profile buffers and
 * register values alike; an M-Bus record rule without one gets the catalogue's too; unknown codes stay ''.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encodeApdu } from './dlms/apdu/index.js';
import { dateTimeFromUtcMs, encodeDateTime } from './dlms/axdr/datetime.js';
import type { DlmsData } from './dlms/axdr/types.js';
import { DlmsFrameDecoder } from './dlms/frame-decoder.js';
import { compileMapping, type MbusProfileSection } from './mbus/mapping.js';
import type { CaptureObject, DecodeOutput, EventRow, RawFrame, ReadingsOut, StateChange } from './protocol-decoder.js';
import { readingTypeOf } from '../schemas/cim/reading-types.js';

/** A decode output that keeps (obis, tariff, reading type) of every reading. */
function typesOutput(): DecodeOutput & { rows: [string, number, string][] } {
  const texts = new Map<string, string[]>();
  const rows: [string, number, string][] = [];
  const readings: ReadingsOut = {
    get count() {
      return rows.length;
    },
    textId(column, value) {
      const list = texts.get(column) ?? [];
      texts.set(column, list);
      const i = list.indexOf(value);
      return i >= 0 ? i : list.push(value) - 1;
    },
    add(_device, _archive, obis, readingType, tariff) {
      rows.push([texts.get('obis')![obis]!, tariff, texts.get('reading_type')![readingType]!]);
    },
  };
  return { readings, events: [] as EventRow[], states: [] as StateChange[], collectedAtSec: 1_700_000_000, rows };
}

const co = (obis: string, classId = 3, extra: Partial<CaptureObject> = {}): CaptureObject => ({ classId, obis, attribute: 2, dataIndex: 0, scaler: 0, unit: 'Wh', readingType: null, tariff: 0, ...extra });
const T = Date.parse('2026-03-01T00:15:00Z');
const time = (ms: number): DlmsData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(ms, 0, 0)) });
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const frame = (archive: string, objects: CaptureObject[], value: DlmsData): RawFrame => ({
  frameId: 'f', wire: Buffer.from(encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data', value } })), framing: 'APDU', direction: 'UPLINK',
  deviceId: 7, commLineId: null, connector: 'tcp', receivedAt: T, sessionId: 's',
  context: { archive, retentionDays: 0, deviceTzMinutes: 0, source: 'POLL', captureObjects: objects, journal: null, eventCodes: null },
});

test('DLMS readings carry the catalogue\'s reading type unless their capture object names one', () => {
  const decoder = new DlmsFrameDecoder();
  const out = typesOutput();
  const profile = [co('0.0.1.0.0.255', 8), co('1.0.1.29.0.255'), co('1.0.2.29.0.255', 3, { readingType: '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.0.72.0' }), co('1.0.99.99.0.255')];
  decoder.decode(frame('profile-15', profile, { type: 'array', value: [{ type: 'structure', value: [time(T), u32(250), u32(3), u32(1)] }] }), out, undefined);
  decoder.decode(frame('end-of-day', [co('1.0.1.8.2.255', 3, { tariff: 2 })], u32(3_705_780)), out, undefined);
  assert.deepEqual(out.rows, [
    ['1.0.1.29.0.255', 0, '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0'],
    ['1.0.2.29.0.255', 0, '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.0.72.0'],
    ['1.0.99.99.0.255', 0, ''],
    ['1.0.1.8.2.255', 2, readingTypeOf('end-of-day', '1.0.1.8.2.255', 2)!.code],
  ]);
});

test('M-Bus record rules default to the catalogue\'s reading type', () => {
  const heat = JSON.parse(readFileSync(new URL('../registry/profiles/MBUS_HEAT.json', import.meta.url), 'utf8')) as { mbus: MbusProfileSection };
  const m = compileMapping(heat.mbus);
  const energy = m.rules.find((r) => r.obis === '6.0.1.0.1.255')!;
  assert.equal(energy.readingType, readingTypeOf('current', '6.0.1.0.1.255', 1)!.code);
  assert.equal(m.rules.find((r) => r.obis === '6.0.96.6.6.255')!.readingType, '', 'battery: no reading type');
  const own = compileMapping({ records: [{ quantity: 'volume', obis: '8.0.1.0.0.255', readingType: '1.2.3' }] });
  assert.equal(own.rules[0]!.readingType, '1.2.3');
});
