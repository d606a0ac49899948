/**
 * The M-Bus decoder of the pool (decoders/protocol-decoder.ts): a raw frame of framing MBUS — a wired
 * RSP_UD long frame or a wireless telegram as the gateway forwarded it — with its device's context → readings
 * and state changes, pure. The device profile's `mbus` section says which records are readings (mapping.ts);
 * the device's security key of kind MBUS_AES (`secrets.MBUS_AES`, hex) opens encrypted telegrams.
 *
 * - A mapped number record: one reading, the integer the meter sent and its VIF's exponent as the scaler,
 *   in the VIF's unit (or the plain-text unit), tariff from the record, archive and OBIS-like code from the rule.
 * - Time: the current values (storage 0) take the telegram's date-time record of storage 0 when it has one,
 *   else the frame's receive time; the values of a storage number ≥ 1 take the date or date-time record of the
 *   same storage number (a date alone: the end of that day, when meters take their due-date values), else the
 *   receive time. A wired answer in several telegrams may carry a value and its date in different ones: the
 *   reader passes the session's times in the frame's `protocolContext` (`{"times": {"<storage>": local ms}}`,
 *   from `recordTimes`), used where the telegram has none; such a telegram may also hold no mapped record. Meter times are local: taken in the frame's device
 *   zone (`deviceTzMinutes`).
 * - The TPL status byte: a reading when the profile maps `status`, and a `state-state` change (`status`);
 *   mapped error flags (storage 0) a `state-state` change (`error-flags`) too, as the wired reader's states.
 * - Records no rule maps are not stored; a telegram with records none of which is mapped, a device without a
 *   profile with an `mbus` section, a wrong key, a MAC/CRC failure, a truncated telegram: the frame fails
 *   (MbusError with its code), and the pool dead-letters it with the reason and the device.
 */
import { AesKey } from './aes.js';
import { MbusError, isMbusError } from './errors.js';
import { isWiredFrame, type FrameFormat } from './link.js';
import { compileMapping, matchRecord, unitText, type CompiledMapping, type MbusProfileSection } from './mapping.js';
import { ValueKind, type Records } from './records.js';
import { QUANTITIES, quantityId, statusFlags, UNITS } from './tables.js';
import { MbusDecoder } from './telegram.js';
import { decimalInteger, Quality, type DecodeOutput, type DeviceContext, type ProtocolDecoder, type RawFrame } from '../protocol-decoder.js';

/** The secret name of a meter's key in the device context (the registry's security-key kind). */
export const MBUS_KEY_SECRET = 'MBUS_AES';

const DAY_MS = 86_400_000;
const ERROR_FLAGS = quantityId('error-flags')!;
/** Expanded keys kept at most (one per meter of the worker's recent frames). */
const MAX_KEYS = 100_000;

export class MbusFrameDecoder implements ProtocolDecoder {
  readonly protocol = 'mbus';
  readonly #telegrams = new MbusDecoder();
  /** Compiled mappings by `profile@version`; a profile whose section does not compile keeps its error. */
  readonly #mappings = new Map<string, CompiledMapping | MbusError>();
  readonly #keys = new Map<string, AesKey>();

  /** Every M-Bus frame is mapped by its device's profile. */
  needsDevice(_frame: RawFrame): boolean {
    return true;
  }

  decode(frame: RawFrame, out: DecodeOutput, device: DeviceContext | null | undefined): number {
    if (!device) throw new MbusError('MBUS_ERR_PROFILE', `device ${frame.deviceId} is not in the registry (or has no enabled comm line)`);
    const mapping = this.#mapping(device);
    const wire = frame.wire;
    const keyHex = device.secrets[MBUS_KEY_SECRET];
    const key = keyHex ? this.#key(keyHex) : undefined;
    const format = isWiredFrame(wire) ? undefined : frameFormatOf(frame.meta?.frameFormat ?? device.protocol?.settings.frameFormat);
    let t;
    try {
      t = this.#telegrams.decode(wire, { ...(key ? { key } : {}), ...(format ? { frameFormat: format } : {}) });
    } catch (e) {
      if (isMbusError(e) && e.code === 'MBUS_ERR_KEY') throw new MbusError('MBUS_ERR_KEY', `the telegram is encrypted and device ${device.serial} has no ${MBUS_KEY_SECRET} security key`);
      throw e;
    }
    const r = t.records;
    const ctx = frame.context;
    const tzMin = ctx?.deviceTzMinutes ?? 0;
    const times = recordTimes(r);
    const session = ctx?.protocolContext ? sessionTimes(ctx.protocolContext) : undefined;
    // UTC ms of a storage number's values: the telegram's own date, the session's, else the receive time.
    const stamp = (storage: number): number => {
      const local = times.get(storage) ?? session?.[storage];
      return typeof local === 'number' && Number.isFinite(local) ? local - tzMin * 60_000 : frame.receivedAt;
    };
    const now = stamp(0);
    const status = t.tpl?.status ?? 0;
    const { readings: block, states, collectedAtSec } = out;
    // The frame's retention is its archive's; a rule's own archive keeps its own when the registry gave them.
    const retentionOf = (archive: string) => device.retentionDays?.[archive] ?? ctx?.retentionDays ?? 0;
    const source = block.textId('source', ctx?.source ?? 'PUSH');
    const quality = Quality.dataPresent | Quality.timeNormal;
    const deviceId = device.num;
    let added = 0;
    let mapped = 0;
    let unmapped: string[] | undefined;
    for (let i = 0; i < r.count; i++) {
      const rule = matchRecord(mapping, r, i);
      if (!rule) {
        // Dates and times are the readings' time stamps, not values to map.
        if (r.kind[i] !== ValueKind.Date && r.kind[i] !== ValueKind.DateTime) (unmapped ??= []).push(recordHeader(r, i));
        continue;
      }
      mapped++;
      const storage = r.storage[i]!;
      if (r.kind[i] !== ValueKind.Number) {
        throw new MbusError('MBUS_ERR_PROFILE', `profile ${device.profile!.id}: ${rule.obis} maps a ${QUANTITIES[r.quantity[i]!]!.name} record, which is not a number`, r.recordStart[i]!);
      }
      const v = r.value[i]!;
      if (v !== v) continue; // a BCD value the meter marks as not a number (e.g. during an error)
      const d = decimalInteger(v);
      if (!d) throw new MbusError('MBUS_ERR_RECORD', `${rule.obis}: ${v} cannot be stored as an integer with a decimal scaler`, r.recordStart[i]!);
      const tsMs = stamp(storage);
      block.add(
        deviceId, block.textId('archive', rule.archive), block.textId('obis', rule.obis), block.textId('reading_type', rule.readingType), r.tariff[i]!,
        Math.floor(tsMs / 1000), d[0], r.exponent[i]! + d[1], block.textId('unit', unitText(r, i, UNITS)), quality, status, tzMin, source, collectedAtSec, retentionOf(rule.archive),
      );
      added++;
      if (storage === 0 && r.quantity[i] === ERROR_FLAGS) states.push({ deviceId, archive: 'state-state', code: 'error-flags', value: v, at: tsMs });
    }
    // One telegram of a wired answer in several may hold only records the profile leaves out; a whole telegram may not.
    if (r.count > 0 && mapped === 0 && !session) {
      throw new MbusError('MBUS_ERR_PROFILE', `none of the telegram's ${r.count} records is in profile ${device.profile!.id} (hes decode --protocol mbus lists them)`);
    }
    if (unmapped) {
      // Counted, and shown on the device: which records its profile leaves out (a state, stored when the list changes).
      out.unmapped = (out.unmapped ?? 0) + unmapped.length;
      states.push({ deviceId, archive: 'state-state', code: 'unmapped-records', value: { profile: device.profile!.id, records: unmapped }, at: now });
    }
    const s = mapping.status;
    if (s && t.tpl && t.tpl.header !== 'none') {
      block.add(
        deviceId, block.textId('archive', s.archive), block.textId('obis', s.obis), block.textId('reading_type', s.readingType), 0, Math.floor(now / 1000),
        status, 0, block.textId('unit', ''), quality, status, tzMin, source, collectedAtSec, retentionOf(s.archive),
      );
      added++;
      states.push({ deviceId, archive: 'state-state', code: 'status', value: { byte: status, flags: statusFlags(status) }, at: now });
    }
    return added;
  }

  #mapping(device: DeviceContext): CompiledMapping {
    const p = device.profile;
    const section = p?.body.mbus as MbusProfileSection | undefined;
    if (!p || !section) throw new MbusError('MBUS_ERR_PROFILE', `device ${device.serial} has no device profile with an mbus section (docs/mbus.md)`);
    const key = `${p.id}@${p.version}`;
    let m = this.#mappings.get(key);
    if (!m) {
      try {
        m = compileMapping(section);
      } catch (e) {
        m = new MbusError('MBUS_ERR_PROFILE', `profile ${p.id}: ${(e as Error).message}`);
      }
      this.#mappings.set(key, m);
    }
    if (m instanceof MbusError) throw new MbusError(m.code, m.message);
    return m;
  }

  #key(hex: string): AesKey {
    let k = this.#keys.get(hex);
    if (!k) {
      if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new MbusError('MBUS_ERR_KEY', `the device's ${MBUS_KEY_SECRET} key is not 16 bytes of hex`);
      if (this.#keys.size >= MAX_KEYS) this.#keys.clear();
      k = new AesKey(Buffer.from(hex, 'hex'));
      this.#keys.set(hex, k);
    }
    return k;
  }
}

/** A record's DIB and VIB as hex, e.g. `0C/13` (as `hes decode --protocol mbus` prints them in `dib`/`vib`). */
function recordHeader(r: Records, i: number): string {
  const hex = (from: number, to: number) => Buffer.from(r.payload.subarray(from, to)).toString('hex').toUpperCase();
  return `${hex(r.recordStart[i]!, r.vibStart[i]!)}/${hex(r.vibStart[i]!, r.dataStart[i]!)}`;
}

function frameFormatOf(v: unknown): FrameFormat | undefined {
  return v === 'A' || v === 'B' || v === 'none' ? v : undefined;
}

/**
 * The meter's local time (ms) per storage number from a telegram's date and date-time records (of no
 * tariff, subunit or function): a date-time as it is, a date alone as the end of that day; a date-time wins.
 * Adds to `into` only storage numbers it does not hold yet (a session's first telegram with one wins).
 */
export function recordTimes(r: Records, into = new Map<number, number>()): Map<number, number> {
  const dates = new Map<number, number>();
  for (let i = 0; i < r.count; i++) {
    const kind = r.kind[i];
    if ((kind !== ValueKind.DateTime && kind !== ValueKind.Date) || r.func[i] !== 0 || r.tariff[i] !== 0 || r.subunit[i] !== 0) continue;
    const local = r.value[i]!;
    if (local !== local) continue;
    const storage = r.storage[i]!;
    if (kind === ValueKind.Date) {
      if (!dates.has(storage)) dates.set(storage, local + DAY_MS);
    } else if (!into.has(storage)) into.set(storage, local);
  }
  for (const [storage, at] of dates) if (!into.has(storage)) into.set(storage, at);
  return into;
}

/** The session's times a wired reader put in the frame (`{"times": {"1": ms}}`); undefined when unreadable. */
function sessionTimes(b: Uint8Array): Record<number, unknown> | undefined {
  try {
    const t = (JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as { times?: unknown }).times;
    return t && typeof t === 'object' ? (t as Record<number, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
