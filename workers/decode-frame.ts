/**
 * Raw frame → readings, pure: unwraps the framing (wrapper, HDLC or bare APDU), takes the Profile
 * Generic buffer of a GET-Response-Normal and appends one reading per (row, register column) to a
 * ReadingsBlock. The fast decoder fills columns straight from the bytes; values stay raw integers and
 * the capture object's scaler is stored beside them (no float rounding in storage).
 */
import { DlmsError } from '../decoders/dlms/errors.js';
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE } from '../decoders/dlms/wrapper/wpdu.js';
import { decodeFrame as decodeHdlcFrame } from '../decoders/dlms/hdlc/frame.js';
import { decodeApdu, describeApdu } from '../decoders/dlms/apdu/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { compileRowLayout, createProfileRows, decodeProfileBuffer, type ProfileRows, type RowLayout } from '../decoders/dlms/cosem/profile-generic.js';
import { Quality, type RawFrame, type DecodingContext } from '../schemas/avro/index.js';
import type { ReadingsBlock } from './readings-block.js';

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
export class FrameDecoder {
  private readonly contexts = new Map<string, CompiledContext>();
  private block: ReadingsBlock | undefined;

  /** Appends the readings of `frame` to `block`; returns how many. Throws DlmsError on bad bytes. */
  decode(frame: RawFrame, block: ReadingsBlock, collectedAtSec: number): number {
    if (frame.deviceId === null) throw new DlmsError('DLMS_ERR_VALUE', 'frame has no device id');
    if (!frame.context) throw new DlmsError('DLMS_ERR_VALUE', 'frame has no decoding context (capture objects)');
    if (block !== this.block) {
      this.contexts.clear();
      this.block = block;
    }
    const ctx = this.compile(frame.context, block);
    const apdu = unwrap(frame);
    if (!(apdu[0] === 0xc4 && apdu[1] === 0x01 && apdu[3] === 0x00)) {
      throw new DlmsError('DLMS_ERR_TAG', `expected a GET-Response-Normal with data, got ${describeApdu(decodeApdu(apdu))}`, 0);
    }
    const rows = decodeProfileBuffer(ctx.layout, apdu, 4, apdu.length, ctx.rows);
    const { deviceId } = frame;
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

  private compile(context: DecodingContext, block: ReadingsBlock): CompiledContext {
    const key = context.archive + '|' + context.source + '|' + context.captureObjects.map((o) => `${o.classId}/${o.obis}/${o.attribute}/${o.scaler}/${o.unit}/${o.tariff}/${o.readingType}`).join(',');
    let c = this.contexts.get(key);
    if (c) return c;
    const objects = context.captureObjects.map((o) => ({ classId: o.classId, logicalName: parseObis(o.obis), attributeIndex: o.attribute, dataIndex: o.dataIndex }));
    const layout = compileRowLayout(objects);
    const registers: CompiledContext['registers'] = [];
    let statusColumn = -1;
    layout.valueColumns.forEach((co, v) => {
      const o = context.captureObjects[co]!;
      if (o.obis.startsWith('0.0.96.10.')) statusColumn = v;
      else if (REGISTER_CLASSES.has(o.classId) && o.attribute === 2) {
        registers.push({
          column: v,
          obis: block.textId('obis', o.obis),
          readingType: block.textId('reading_type', o.readingType ?? ''),
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
      throw new DlmsError('DLMS_ERR_VALUE', `${frame.framing} frames are not decoded by the DLMS pool`);
  }
}
