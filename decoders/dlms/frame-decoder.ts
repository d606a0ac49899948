/**
 * The DLMS decoder of the pool (decoders/protocol-decoder.ts): raw frame → readings and events, pure.
 * Unwraps the framing (wrapper, HDLC or bare APDU), then:
 *   - a GET-Response-Normal with a Profile Generic buffer (an array): one reading per (row, register
 *     column), on the fast path that fills columns straight from the bytes; values stay raw integers and
 *     the capture object's scaler is stored beside them (no float rounding in storage);
 *   - a GET-Response-Normal with one value or a GET-Response-With-List (register and current values,
 *     network parameters): one reading per capture object, stamped with the clock value read with them
 *     (a capture object of class 8, attribute 2) or else the frame's receivedAt;
 *   - an event journal (the context names it): one event per buffer row;
 *   - a push (no decoding context: CENC, the push listener): a DataNotification, deciphered with the
 *     device's keys when ciphered, decoded as the device profile's Push Setup declares (push-profile.ts):
 *     its profile buffers on the same fast path, its registers stamped with the notification's time.
 */
import { DlmsError } from './errors.js';
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE } from './wrapper/wpdu.js';
import { decodeFrame as decodeHdlcFrame } from './hdlc/frame.js';
import { decodeApdu, describeApdu, type Apdu } from './apdu/index.js';
import { dataAccessResultName } from './apdu/xdlms/enums.js';
import type { GetDataResult } from './apdu/xdlms/common.js';
import { dataToJson, dataToNumber, encodeDataBytes } from './axdr/data.js';
import { dateTimeToUtcMs, DEVIATION_NOT_SPECIFIED } from './axdr/datetime.js';
import { toHex } from './axdr/writer.js';
import { eventName } from './cosem/event-codes.js';
import { formatObis, parseObis } from './obis.js';
import { readingTypeOf } from '../../schemas/cim/reading-types.js';
import { Reader } from './axdr/reader.js';
import { decodeData } from './axdr/data.js';
import type { CosemDateTime, DlmsData } from './axdr/types.js';
import { decipherApdu, GENERAL_DED_CIPHERING, GENERAL_GLO_CIPHERING, type SecurityKeys } from './security/index.js';
import { captureObjectOf, pushSetupsOf, type PushObjectDeclaration, type PushSetupDeclaration } from './push-profile.js';
import { decodeDateTime } from './axdr/datetime.js';
import {
  compileRowLayout, createProfileRows, dateTimeOf, decodeProfileBuffer, profileRowsFromData, type ProfileRows, type RowLayout,
} from './cosem/profile-generic.js';
import {
  decimalInteger, eventSeverity, OUTAGE_ARCHIVE, Quality, type CaptureObject, type DecodeOutput, type DecodingContext, type DeviceContext, type ProtocolDecoder, type RawFrame,
  type ReadingsOut,
} from '../protocol-decoder.js';

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

/** What an element of a push object list is for. */
type ElementKind =
  | { kind: 'skip' }
  | { kind: 'clock' }
  /** `compiled`: the layout of the last block and zone it was compiled for (pushes of one row: no key built per push). */
  | { kind: 'buffer'; context: DecodingContext; compiled?: { block: ReadingsOut; tz: number | null; ctx: CompiledContext } }
  | { kind: 'journal'; context: DecodingContext }
  | { kind: 'register'; archive: string; object: CaptureObject }
  | { kind: 'alarm'; journal: string; table: string }
  | { kind: 'event'; journal: string; table: string | null };

/** One element of a push object list, as the decoder treats it; `ref` is "class/OBIS/attribute". */
type PushElement = { ref: string; obis: string } & ElementKind;

interface CompiledPush {
  obis: string;
  /** Index of the setup's own logical name in the list (class 40, attribute 1), or -1. */
  identity: number;
  obisBytes: Uint8Array;
  elements: PushElement[];
  /** The meter's last gasp: an outage starts at the push's time. */
  powerDown: boolean;
}

/** Decoding state reused across frames of one worker: compiled layouts per capture-object list. */
export class DlmsFrameDecoder implements ProtocolDecoder {
  readonly protocol = 'dlms';
  private readonly contexts = new Map<string, CompiledContext>();
  /** Push Setups of device profiles by `id@version`. */
  private readonly pushes = new Map<string, CompiledPush[]>();
  private block: ReadingsOut | undefined;

  /**
   * A frame without a decoding context is a push, decoded as its device's profile declares; a journal's
   * events take their severities from the device's profile and project.
   */
  needsDevice(frame: RawFrame): boolean {
    return frame.context === null || frame.context.journal !== null;
  }

  /**
   * Appends the frame's readings, events and state changes to `out`; returns how many readings. Throws
   * DlmsError on bad bytes. Every frame tells that its device communicates (`state-outage` power on).
   */
  decode(frame: RawFrame, out: DecodeOutput, device?: DeviceContext | null): number {
    const before = out.events.length;
    const added = this.decodeFrame(frame, out, device);
    if (device) {
      for (let i = before; i < out.events.length; i++) {
        const e = out.events[i]!;
        e.severity = eventSeverity(device, e.name);
      }
    }
    return added;
  }

  private decodeFrame(frame: RawFrame, out: DecodeOutput, device: DeviceContext | null | undefined): number {
    const { readings: block, collectedAtSec, events } = out;
    if (block !== this.block) {
      this.contexts.clear();
      this.block = block;
    }
    const apdu = unwrap(frame);
    if (!frame.context) return this.decodePush(frame, apdu, out, device);
    out.states.push({ deviceId: frame.deviceId!, archive: OUTAGE_ARCHIVE, code: 'power', value: 'on', at: frame.receivedAt });
    // The hot path: a Profile Generic buffer (GET-Response-Normal, data, array).
    const buffer = apdu[0] === 0xc4 && apdu[1] === 0x01 && apdu[3] === 0x00 && apdu[4] === 0x01;
    if (!buffer || frame.context.journal) return this.decodeOther(frame, frame.deviceId!, frame.context, apdu, block, collectedAtSec, events);
    const ctx = this.compile(frame.context, block);
    const rows = decodeProfileBuffer(ctx.layout, apdu, 4, apdu.length, ctx.rows);
    // the pool passes frames with a device only
    return addRows(ctx, rows, frame.deviceId!, frame.context.deviceTzMinutes ?? 0, frame.context.retentionDays, block, collectedAtSec);
  }

  /**
   * A push. A DataNotification's Push Setup is the profile's whose object list names it (the setup's logical
   * name, first in IDIS lists) or else whose list has as many elements; each element is decoded as declared.
   * An EventNotification's attribute is decoded as the push object of the same class, OBIS and attribute.
   * Times: the notification's date-time, else the first clock in the body, else when it was received;
   * date-times without a deviation take the deviation of that time. Every push tells the device
   * communicates (an outage it had is over), a power-down push that an outage starts.
   */
  private decodePush(frame: RawFrame, wire: Uint8Array, out: DecodeOutput, device: DeviceContext | null | undefined): number {
    if (!device) throw new DlmsError('DLMS_ERR_VALUE', `push of device ${frame.deviceId}: the registry knows no such device (or it has no comm line)`);
    const apdu = wire[0] === GENERAL_GLO_CIPHERING || wire[0] === GENERAL_DED_CIPHERING ? decipherPush(wire, device) : wire;
    const setups = this.pushSetups(device);
    let dateTime: CosemDateTime | null;
    let starts: number[];
    let elements: readonly PushElement[];
    let powerDown = false;
    if (apdu[0] === DATA_NOTIFICATION) {
      ({ dateTime, starts } = notificationElements(apdu));
      const setup = pushSetupOf(setups, device, apdu, starts);
      elements = setup.elements;
      powerDown = setup.powerDown;
    } else if (apdu[0] === EVENT_NOTIFICATION) {
      let ref: string;
      ({ dateTime, ref, start: starts } = eventNotification(apdu));
      const element = setups.flatMap((s) => s.elements).find((e) => e.ref === ref);
      if (!element) throw new DlmsError('DLMS_ERR_VALUE', `EventNotification of ${ref} (class/OBIS/attribute): no Push Setup of profile ${device.profile!.id} declares it`, 0);
      elements = [element];
    } else {
      throw new DlmsError('DLMS_ERR_TAG', `a push must be a DataNotification (0x0F) or an EventNotification (0xC2), got 0x${(apdu[0] ?? 0).toString(16).padStart(2, '0')}`, 0);
    }
    const { readings: block, collectedAtSec, events, states } = out;
    let time = dateTime;
    if (!time) {
      const clock = elements.findIndex((e) => e.kind === 'clock');
      if (clock >= 0) time = dateTimeOf(decodeData(new Reader(apdu, starts[clock]!, starts[clock + 1]!)));
    }
    const tsMs = (time && dateTimeToUtcMs(time)) ?? frame.receivedAt;
    const tz = time && time.deviation !== DEVIATION_NOT_SPECIFIED ? -time.deviation : null;
    const quality = Quality.dataPresent | (!time || time.clockStatus === 0xff || (time.clockStatus & CLOCK_NOT_NORMAL) === 0 ? Quality.timeNormal : 0);
    const deviceId = frame.deviceId!;
    const retention = (archive: string): number => device.retentionDays?.[archive] ?? 0;
    const event = (journal: string, code: number, name: string, params: Record<string, unknown>, raw: Uint8Array): void => {
      events.push({
        device_id: deviceId, journal, ts: Math.floor(tsMs / 1000), code, name, params: JSON.stringify(params), raw: toHex(raw), device_tz: tz ?? 0,
        source: 'PUSH', collected_at: collectedAtSec, retention_days: retention('events'),
      });
    };
    let added = 0;
    elements.forEach((e, i) => {
      const start = starts[i]!;
      const end = starts[i + 1]!;
      switch (e.kind) {
        case 'buffer': {
          let c = e.compiled;
          if (!c || c.block !== block || c.tz !== tz) c = e.compiled = { block, tz, ctx: this.compile({ ...e.context, deviceTzMinutes: tz }, block) };
          const rows = decodeProfileBuffer(c.ctx.layout, apdu, start, end, c.ctx.rows);
          added += addRows(c.ctx, rows, deviceId, tz ?? 0, retention(e.context.archive), block, collectedAtSec);
          break;
        }
        case 'journal': {
          const context = { ...e.context, deviceTzMinutes: tz, retentionDays: retention('events') };
          journalEvents(context, decodeData(new Reader(apdu, start, end)), deviceId, collectedAtSec, events);
          break;
        }
        case 'register': {
          const value = decodeData(new Reader(apdu, start, end));
          if (value.type === 'null-data') break; // the meter could not read it
          const o = e.object;
          const n = dataToNumber(value);
          if (n === null) throw new DlmsError('DLMS_ERR_VALUE', `push: ${o.obis} is a ${value.type}, not a measurement`, start);
          const [raw, scaler] = scaled(n, o.scaler, o.obis);
          block.add(
            deviceId, block.textId('archive', e.archive), block.textId('obis', o.obis), block.textId('reading_type', readingTypeCode(e.archive, o)), o.tariff, Math.floor(tsMs / 1000),
            raw, scaler, block.textId('unit', o.unit), quality, 0, tz ?? 0, block.textId('source', 'PUSH'), collectedAtSec, retention(e.archive),
          );
          added++;
          break;
        }
        case 'alarm': {
          // An alarm register: one event per bit set, the bit's number as the code.
          const value = decodeData(new Reader(apdu, start, end));
          const bits = dataToNumber(value);
          if (bits === null || !Number.isInteger(bits) || bits < 0 || bits > 0xffffffff) throw new DlmsError('DLMS_ERR_VALUE', `push: alarm register ${e.obis} is a ${value.type}, not a bit field`, start);
          for (let bit = 0; bit < 32; bit++) {
            if ((bits >>> bit) & 1) event(e.journal, bit, eventName(e.table, bit), { [e.obis]: bits }, apdu.subarray(start, end));
          }
          break;
        }
        case 'event': {
          const value = decodeData(new Reader(apdu, start, end));
          const code = dataToNumber(value);
          if (code === null || !Number.isInteger(code) || code < 0 || code > 0xffff) throw new DlmsError('DLMS_ERR_VALUE', `push: ${e.obis} is not an event code (0..65535)`, start);
          event(e.journal, code, eventName(e.table, code), {}, apdu.subarray(start, end));
          break;
        }
        default:
      }
    });
    states.push(powerDown
      ? { deviceId, archive: OUTAGE_ARCHIVE, code: 'power', value: 'off', at: tsMs }
      : { deviceId, archive: OUTAGE_ARCHIVE, code: 'power', value: 'on', at: frame.receivedAt });
    return added;
  }

  /** The device profile's Push Setups, compiled once per profile version. */
  private pushSetups(device: DeviceContext): CompiledPush[] {
    const profile = device.profile;
    if (!profile) throw new DlmsError('DLMS_ERR_VALUE', `push of device ${device.serial}: its comm line has no device profile`);
    const key = `${profile.id}@${profile.version}`;
    let setups = this.pushes.get(key);
    if (!setups) {
      setups = pushSetupsOf(profile.body, profile.id).map(compilePush);
      if (this.pushes.size >= 1000) this.pushes.clear();
      this.pushes.set(key, setups);
    }
    if (!setups.length) throw new DlmsError('DLMS_ERR_VALUE', `push of device ${device.serial}: profile ${profile.id} declares no Push Setups`);
    return setups;
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
      journalEvents(context, a.result.value, deviceId, collectedAtSec, events);
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

const DATA_NOTIFICATION = 0x0f;
const EVENT_NOTIFICATION = 0xc2;
/** The Push Setup a DataNotification comes from (throws when none matches). */
function pushSetupOf(setups: readonly CompiledPush[], device: DeviceContext, apdu: Uint8Array, starts: readonly number[]): CompiledPush {
  const count = starts.length - 1;
  const named = (s: CompiledPush): boolean => {
    if (s.identity < 0) return true;
    const at = starts[s.identity]!;
    return apdu[at] === 0x09 && apdu[at + 1] === 6 && s.obisBytes.every((b, k) => apdu[at + 2 + k] === b);
  };
  const setup = setups.find((s) => s.elements.length === count && named(s));
  if (!setup) {
    throw new DlmsError('DLMS_ERR_VALUE', `push of device ${device.serial}: its ${count} elements match none of the Push Setups of profile ${device.profile!.id} (${setups.map((s) => s.obis).join(', ')})`);
  }
  return setup;
}

/** An EventNotification's time, its attribute ("class/OBIS/attribute") and where its value starts (then the APDU's end). */
function eventNotification(apdu: Uint8Array): { dateTime: CosemDateTime | null; ref: string; start: number[] } {
  const r = new Reader(apdu, 1);
  let dateTime: CosemDateTime | null = null;
  if (r.u8('time presence') !== 0) {
    const at = r.pos;
    const n = r.length('time length');
    if (n !== 12) throw new DlmsError('DLMS_ERR_LENGTH', `time must be a 12-byte date-time, got ${n} bytes`, at);
    dateTime = decodeDateTime(r.bytes(12, 'time'));
  }
  const classId = r.u16('class-id');
  const obis = formatObis(r.bytes(6, 'logical name'));
  const attribute = r.i8('attribute-id');
  if (r.pos >= apdu.length) throw new DlmsError('DLMS_ERR_TRUNCATED', 'expected the attribute value', r.pos);
  return { dateTime, ref: `${classId}/${obis}/${attribute}`, start: [r.pos, apdu.length] };
}

/** The readings of decoded profile rows: one per (row, register column). */
function addRows(ctx: CompiledContext, rows: ProfileRows, deviceId: number, tz: number, retention: number, block: ReadingsOut, collectedAtSec: number): number {
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

/** One event per row of a journal buffer: time, code (the 0.0.96.11.x column, else the first number), its name, the other columns. */
function journalEvents(context: DecodingContext, buffer: DlmsData, deviceId: number, collectedAtSec: number, events: DecodeOutput['events']): void {
  const objects = context.captureObjects;
  const tz = context.deviceTzMinutes;
  // A date-time without a deviation is local time in the device's zone (UTC = local + deviation, deviation = -zone).
  const rows = profileRowsFromData(buffer, compileRowLayout(objects.map(captureObject), tz === null || tz === undefined ? {} : { defaultDeviation: -tz }));
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
      device_id: deviceId, journal: context.journal!, ts: Math.floor(row.timestamp / 1000), code, name: eventName(context.eventCodes, code),
      params: JSON.stringify(params), raw: toHex(encodeDataBytes({ type: 'structure', value: row.data })), device_tz: tz ?? 0,
      source: context.source, collected_at: collectedAtSec, retention_days: context.retentionDays,
    });
  }
}

/**
 * The plain APDU of a ciphered push (general-glo- or general-ded-ciphering; the envelope carries the meter's
 * system title), checked with the device's keys: authenticated at least, as a session requires.
 */
/** A device's keys as bytes, made once per context object (the pool's threads keep the objects). */
const pushKeys = new WeakMap<DeviceContext, SecurityKeys>();

function decipherPush(wire: Uint8Array, device: DeviceContext): Uint8Array {
  let keys = pushKeys.get(device);
  if (!keys) {
    const key = (name: string): Uint8Array | undefined => {
      const hex = device.secrets[name];
      return hex ? Uint8Array.from(Buffer.from(hex, 'hex')) : undefined;
    };
    const all = { globalUnicastKey: key('encryptionKey'), authenticationKey: key('authenticationKey'), dedicatedKey: key('dedicatedKey'), globalBroadcastKey: key('broadcastKey') };
    keys = Object.fromEntries(Object.entries(all).filter(([, v]) => v)) as SecurityKeys;
    pushKeys.set(device, keys);
  }
  if (!keys.globalUnicastKey && !keys.dedicatedKey) throw new DlmsError('DLMS_ERR_SECURITY', `ciphered push of device ${device.serial}: the device has no encryption key`, 0);
  return decipherApdu(wire, { keys }).apdu;
}

/**
 * A DataNotification's date-time and where each element of its body (a structure) starts, with the end of
 * the APDU last. Elements before the last are stepped over; the last ends with the APDU.
 */
function notificationElements(apdu: Uint8Array): { dateTime: CosemDateTime | null; starts: number[] } {
  const r = new Reader(apdu, 5);
  const at = r.pos;
  const n = r.length('date-time length');
  let dateTime: CosemDateTime | null = null;
  if (n === 12) dateTime = decodeDateTime(r.bytes(12, 'date-time'));
  else if (n !== 0) throw new DlmsError('DLMS_ERR_LENGTH', `date-time must be 0 or 12 bytes, got ${n}`, at);
  const bodyAt = r.pos;
  if (r.u8('notification body') !== 0x02) throw new DlmsError('DLMS_ERR_TAG', 'the notification body is not a structure (one element per push object)', bodyAt);
  const count = r.length('push objects');
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    starts.push(r.pos);
    if (i < count - 1) decodeData(r);
    else if (r.pos >= apdu.length) throw new DlmsError('DLMS_ERR_TRUNCATED', `expected push object ${i + 1} of ${count}`, r.pos);
  }
  starts.push(apdu.length);
  return { dateTime, starts };
}

/** A declared Push Setup in the form the decoder walks. */
function compilePush(s: PushSetupDeclaration): CompiledPush {
  const elements = s.objects.map((o): PushElement => ({ ref: `${o.classId}/${o.obis}/${o.attribute}`, obis: o.obis, ...pushElement(o) }));
  const identity = s.objects.findIndex((o) => o.classId === 40 && o.attribute === 1 && o.obis === s.obis);
  return { obis: s.obis, identity, obisBytes: parseObis(s.obis), elements, powerDown: s.trigger === 'power-down' };
}

/** What a declared push object is for, by what it declares (docs/pipeline.md, "Pushes"). */
function pushElement(o: PushObjectDeclaration): ElementKind {
  if (isClock(o)) return { kind: 'clock' };
  if (o.classId === 7 && o.attribute === 2 && o.captureObjects && (o.archive || o.journal)) {
    const context: DecodingContext = {
      archive: o.archive ?? 'events', retentionDays: 0, deviceTzMinutes: null, source: 'PUSH', captureObjects: o.captureObjects.map(captureObjectOf),
      journal: o.journal ?? null, eventCodes: o.eventCodes ?? null,
    };
    return o.journal ? { kind: 'journal', context } : { kind: 'buffer', context };
  }
  if (o.alarmBits) return { kind: 'alarm', journal: o.journal ?? 'alarms', table: o.alarmBits };
  if (o.journal && o.classId !== 7) return { kind: 'event', journal: o.journal, table: o.eventCodes ?? null };
  if (REGISTER_CLASSES.has(o.classId) && o.attribute === 2 && o.archive) {
    return { kind: 'register', archive: o.archive, object: captureObjectOf({ ...o, dataIndex: 0 }) };
  }
  return { kind: 'skip' };
}

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
