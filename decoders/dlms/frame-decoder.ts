/**
 * The DLMS decoder of the pool (decoders/protocol-decoder.ts): raw frame → readings and events, pure.
 * Unwraps the framing (wrapper, HDLC or bare APDU), then:
 *   - a GET-Response-Normal with a Profile Generic buffer (an array): one reading per (row, register
 *     column), on the fast path that fills columns straight from the bytes; values stay raw integers and
 *     the capture object's scaler is stored beside them (no float rounding in storage);
 *   - a GET-Response-Normal with one value or a GET-Response-With-List (register and current values,
 *     network parameters): one reading per capture object, stamped with the clock value read with them
 *     (a capture object of class 8, attribute 2) or else the frame's receivedAt;
 *   - an event journal (the context names it): one event per buffer row.
 */
import { DlmsError } from './errors.js';
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE } from './wrapper/wpdu.js';
import { decodeFrame as decodeHdlcFrame } from './hdlc/frame.js';
import { decodeApdu, describeApdu, type Apdu } from './apdu/index.js';
import { dataAccessResultName } from './apdu/xdlms/enums.js';
import type { GetDataResult } from './apdu/xdlms/common.js';
import { dataToJson, dataToNumber, encodeDataBytes } from './axdr/data.js';
import { dateTimeToUtcMs } from './axdr/datetime.js';
import { toHex } from './axdr/writer.js';
import { eventName } from './cosem/event-codes.js';
import { parseObis } from './obis.js';
import { readingTypeOf } from '../../schemas/cim/reading-types.js';
import {
  compileRowLayout, createProfileRows, dateTimeOf, decodeProfileBuffer, profileRowsFromData, type ProfileRows, type RowLayout,
} from './cosem/profile-generic.js';
import { decimalInteger, Quality, type CaptureObject, type DecodeOutput, type DecodingContext, type DeviceContext, type ProtocolDecoder, type RawFrame, type ReadingsOut } from '../protocol-decoder.js';

/** Clock status bits that make a timestamp doubtful: invalid, doubtful, different base, invalid status. */
const CLOCK_NOT_NORMAL = 0x0f;
const REGISTER_CLASSES = new Set([1, 3, 4, 5]);
/** LLC header of an HDLC information field carrying a response (Green Book: E6 E7 00). */
const LLC_RESPONSE = [0xe6, 0xe7, 0x00];

interface CompiledContext {
  layout: RowLayout;
  rows: ProfileRows;
  /** Per layout value column: capture-object index, or -1 when the column is the status byte. */
  registers: { column: number; obis: number; readingType: number; unit: number; scaler: number; tariff: number }[];
  statusColumn: number;
  archive: number;
  source: number;
}

/** Decoding state reused across frames of one worker: compiled layouts per capture-object list. */
export class DlmsFrameDecoder implements ProtocolDecoder {
  readonly protocol = 'dlms';
  private readonly contexts = new Map<string, CompiledContext>();
  private block: ReadingsOut | undefined;

  needsDevice(frame: RawFrame): boolean {
    return frame.context === null;
  }

  /** Appends the frame's readings and journal entries to `out`; returns how many readings. Throws DlmsError on bad bytes. */
  decode(frame: RawFrame, out: DecodeOutput, _device?: DeviceContext | null): number {
    if (!frame.context) throw new DlmsError('DLMS_ERR_VALUE', 'frame has no decoding context (capture objects)');
    const { readings: block, collectedAtSec, events } = out;
    if (block !== this.block) {
      this.contexts.clear();
      this.block = block;
    }
    const apdu = unwrap(frame);
    // The hot path: a Profile Generic buffer (GET-Response-Normal, data, array).
    const buffer = apdu[0] === 0xc4 && apdu[1] === 0x01 && apdu[3] === 0x00 && apdu[4] === 0x01;
    if (!buffer || frame.context.journal) return this.decodeOther(frame, frame.deviceId!, frame.context, apdu, block, collectedAtSec, events);
    const ctx = this.compile(frame.context, block);
    const rows = decodeProfileBuffer(ctx.layout, apdu, 4, apdu.length, ctx.rows);
    const deviceId = frame.deviceId!; // the pool passes frames with a device only
    const tz = frame.context.deviceTzMinutes ?? 0;
    const retention = frame.context.retentionDays;
    let added = 0;
    for (let i = 0; i < rows.count; i++) {
      const ts = rows.timestamps[i]!;
      if (ts !== ts) continue;
      const clock = rows.clockStatus[i]!;
      const status = ctx.statusColumn >= 0 ? rows.values[ctx.statusColumn]![i]! : 0;
      const quality = Quality.dataPresent | (clock === 0xff || (clock & CLOCK_NOT_NORMAL) === 0 ? Quality.timeNormal : 0);
      for (const r of ctx.registers) {
        const raw = rows.values[r.column]![i]!;
        if (raw !== raw) continue;
        block.add(deviceId, ctx.archive, r.obis, r.readingType, r.tariff, ts / 1000, raw, r.scaler, r.unit, quality, status === status ? status : 0, tz, ctx.source, collectedAtSec, retention);
        added++;
      }
    }
    return added;
  }

  /** Event journals, single values and GET-With-List answers: few values per frame, decoded generically. */
  private decodeOther(frame: RawFrame, deviceId: number, context: DecodingContext, apdu: Uint8Array, block: ReadingsOut, collectedAtSec: number, events: DecodeOutput['events']): number {
    const a = decodeApdu(apdu);
    const objects = context.captureObjects;
    const tz = context.deviceTzMinutes;
    // A date-time without a deviation is local time in the device's zone (UTC = local + deviation, deviation = -zone).
    const dtOpts = tz === null || tz === undefined ? undefined : { defaultDeviation: -tz };
    if (context.journal) {
      if (a.type !== 'get-response-normal' || a.result.type !== 'data' || a.result.value.type !== 'array') {
        throw new DlmsError('DLMS_ERR_TAG', `journal ${context.journal}: expected a GET-Response-Normal with the buffer, got ${describeApdu(a)}`, 0);
      }
      const rows = profileRowsFromData(a.result.value, compileRowLayout(objects.map(captureObject), dtOpts ? { defaultDeviation: dtOpts.defaultDeviation } : {}));
      const clock = objects.findIndex(isClock);
      const codeEvent = objects.findIndex((o) => o.obis.startsWith('0.0.96.11.'));
      for (const row of rows) {
        if (row.timestamp === null) continue;
        const codeColumn = codeEvent >= 0 ? codeEvent : row.data.findIndex((d, i) => i !== clock && dataToNumber(d) !== null);
        const code = codeColumn >= 0 ? dataToNumber(row.data[codeColumn]!) : null;
        if (code === null || !Number.isInteger(code) || code < 0 || code > 0xffff) {
          throw new DlmsError('DLMS_ERR_VALUE', `journal ${context.journal}: a row without an event code (0..65535)`);
        }
        const params: Record<string, unknown> = {};
        row.data.forEach((d, i) => {
          if (i !== clock && i !== codeColumn) params[objects[i]!.obis] = dataToJson(d);
        });
        events.push({
          device_id: deviceId, journal: context.journal, ts: Math.floor(row.timestamp / 1000), code, name: eventName(context.eventCodes, code),
          params: JSON.stringify(params), raw: toHex(encodeDataBytes({ type: 'structure', value: row.data })), device_tz: tz ?? 0,
          source: context.source, collected_at: collectedAtSec, retention_days: context.retentionDays,
        });
      }
      return 0;
    }
    const results = valuesOf(a);
    if (results.length !== objects.length) throw new DlmsError('DLMS_ERR_VALUE', `${results.length} values for ${objects.length} capture objects`);
    let tsMs = frame.receivedAt;
    let timeNormal = true;
    const clock = objects.findIndex(isClock);
    const clockValue = clock >= 0 ? results[clock]! : undefined;
    if (clockValue?.type === 'data') {
      const dt = dateTimeOf(clockValue.value);
      const ms = dt ? dateTimeToUtcMs(dt, dtOpts) : null;
      if (dt && ms !== null) {
        tsMs = ms;
        timeNormal = dt.clockStatus === 0xff || (dt.clockStatus & CLOCK_NOT_NORMAL) === 0;
      }
    }
    const quality = Quality.dataPresent | (timeNormal ? Quality.timeNormal : 0);
    const archive = block.textId('archive', context.archive);
    const source = block.textId('source', context.source);
    let added = 0;
    objects.forEach((o, i) => {
      const r = results[i]!;
      // A value the meter does not have (data-access-result) is no reading; the reader notes it for the launch.
      if (i === clock || o.store === false || r.type !== 'data') return;
      const n = dataToNumber(r.value);
      if (n === null) throw new DlmsError('DLMS_ERR_VALUE', `${o.obis}: a ${r.value.type} is not a measurement`);
      const [raw, scaler] = scaled(n, o.scaler, o.obis);
      block.add(
        deviceId, archive, block.textId('obis', o.obis), block.textId('reading_type', readingTypeCode(context.archive, o)), o.tariff, Math.floor(tsMs / 1000), raw, scaler,
        block.textId('unit', o.unit), quality, 0, tz ?? 0, source, collectedAtSec, context.retentionDays,
      );
      added++;
    });
    return added;
  }

  private compile(context: DecodingContext, block: ReadingsOut): CompiledContext {
    const key = context.archive + '|' + context.source + '|' + context.deviceTzMinutes + '|' + context.captureObjects.map((o) => `${o.classId}/${o.obis}/${o.attribute}/${o.scaler}/${o.unit}/${o.tariff}/${o.readingType}/${o.store}`).join(',');
    let c = this.contexts.get(key);
    if (c) return c;
    const objects = context.captureObjects.map(captureObject);
    const tz = context.deviceTzMinutes;
    // Row times without a deviation are local time in the device's zone.
    const layout = compileRowLayout(objects, tz === null || tz === undefined ? {} : { defaultDeviation: -tz });
    const registers: CompiledContext['registers'] = [];
    let statusColumn = -1;
    layout.valueColumns.forEach((co, v) => {
      const o = context.captureObjects[co]!;
      if (o.obis.startsWith('0.0.96.10.')) statusColumn = v;
      else if (REGISTER_CLASSES.has(o.classId) && o.attribute === 2 && o.store !== false) {
        registers.push({
          column: v,
          obis: block.textId('obis', o.obis),
          readingType: block.textId('reading_type', readingTypeCode(context.archive, o)),
          unit: block.textId('unit', o.unit),
          scaler: o.scaler,
          tariff: o.tariff,
        });
      }
    });
    c = { layout, rows: createProfileRows(layout, 96), registers, statusColumn, archive: block.textId('archive', context.archive), source: block.textId('source', context.source) };
    this.contexts.set(key, c);
    return c;
  }
}

const isClock = (o: { classId: number; attribute: number }) => o.classId === 8 && o.attribute === 2;

/** The capture object's own CIM reading type, else the catalogue's for (archive, OBIS, tariff), else none (''). */
const readingTypeCode = (archive: string, o: CaptureObject) => o.readingType ?? readingTypeOf(archive, o.obis, o.tariff)?.code ?? '';

const captureObject = (o: DecodingContext['captureObjects'][number]) => ({ classId: o.classId, logicalName: parseObis(o.obis), attributeIndex: o.attribute, dataIndex: o.dataIndex });

/** The values of a GET-Response-Normal (one) or -With-List (one per attribute asked for). */
function valuesOf(a: Apdu): GetDataResult[] {
  if (a.type === 'get-response-with-list') return a.results;
  let what = describeApdu(a);
  if (a.type === 'get-response-normal') {
    if (a.result.type === 'data') return [a.result];
    what += ` (${dataAccessResultName(a.result.value)})`;
  }
  throw new DlmsError('DLMS_ERR_TAG', `expected a GET-Response-Normal with data or a GET-Response-With-List, got ${what}`, 0);
}

/**
 * A value as an integer and its scaler: integers as they are; a float (some meters send network values
 * so) as the integer of its shortest decimal form up to 9 digits after the point, the scaler lowered to match.
 */
function scaled(n: number, scaler: number, obis: string): [number, number] {
  const d = decimalInteger(n);
  if (d) return [d[0], scaler + d[1]];
  throw new DlmsError('DLMS_ERR_VALUE', `${obis}: ${n} cannot be stored as an integer with a decimal scaler`);
}

/** The APDU inside a frame's wire bytes. */
export function unwrap(frame: RawFrame): Uint8Array {
  const wire = frame.wire;
  switch (frame.framing) {
    case 'APDU':
      return wire;
    case 'WRAPPER': {
      const h = decodeWrapperHeader(wire);
      if (WRAPPER_HEADER_SIZE + h.length !== wire.length) throw new DlmsError('DLMS_ERR_LENGTH', `wrapper length ${h.length} does not match the ${wire.length - WRAPPER_HEADER_SIZE} bytes after the header`, 6);
      return wire.subarray(WRAPPER_HEADER_SIZE);
    }
    case 'HDLC': {
      const f = decodeHdlcFrame(wire);
      const info = f.info;
      if (f.segmented || info.length < 3 || info[0] !== LLC_RESPONSE[0] || info[1] !== LLC_RESPONSE[1] || info[2] !== LLC_RESPONSE[2]) {
        throw new DlmsError('DLMS_ERR_HDLC_FORMAT', 'HDLC frame without an LLC-prefixed APDU (segmented frames are reassembled by the session first)', 0);
      }
      return info.subarray(3);
    }
    default:
      throw new DlmsError('DLMS_ERR_VALUE', `${frame.framing} frames are not decoded by the DLMS decoder`);
  }
}
