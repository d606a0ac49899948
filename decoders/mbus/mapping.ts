/**
 * What an M-Bus meter's records mean: the `mbus` section of a device profile maps a record, found by
 * (quantity or exact VIB, function, storage number, tariff, subunit), to an OBIS-like code, an archive
 * and a CIM reading type, so water volume, heat energy, temperatures, error flags and battery data land
 * in the same readings table as electricity data. Meters differ only in data: vendor quirks live here.
 *
 *   { "mbus": { "records": [
 *       { "quantity": "volume", "obis": "8.0.1.0.0.255" },                               storage 0, tariff 0, instantaneous
 *       { "quantity": "volume", "storage": 1, "obis": "8.0.1.0.0.1", "archive": "end-of-month" },
 *       { "vib": "FD17", "obis": "8.0.97.97.0.255", "archive": "telemetry" } ],
 *     "status": { "obis": "8.0.97.97.1.255", "archive": "telemetry" } } }
 *
 * The first rule that matches a record wins; records no rule matches are not stored (`hes decode
 * --protocol mbus` shows them all, with the quantity names rules use).
 */
import { reversedText, type Records } from './records.js';
import type { MbusProfileSection } from '../../schemas/device-profile.js';
import { FUNCTIONS, quantityId } from './tables.js';
import { readingTypeOf } from '../../schemas/cim/reading-types.js';

export type { MbusRecordRule, MbusProfileSection } from '../../schemas/device-profile.js';

export interface CompiledRule {
  quantity: number;
  /** Upper-case hex of the VIB, or '' when matching by quantity. */
  vib: string;
  func: number;
  storage: number;
  tariff: number;
  subunit: number;
  obis: string;
  archive: string;
  readingType: string;
}

export interface CompiledMapping {
  rules: CompiledRule[];
  /** Some rule matches by VIB bytes (then the VIB of each record is compared). */
  byVib: boolean;
  status: { obis: string; archive: string; readingType: string } | null;
}

const OBIS = /^\d{1,3}(\.\d{1,3}){5}$/;

/** Checks and compiles a profile section; throws an Error naming the bad rule's path. */
export function compileMapping(section: MbusProfileSection): CompiledMapping {
  if (!section || !Array.isArray(section.records)) throw new Error('mbus.records must be an array');
  const rules = section.records.map((r, i): CompiledRule => {
    const at = `mbus.records[${i}]`;
    if (!OBIS.test(r.obis ?? '')) throw new Error(`${at}.obis must be an OBIS code A.B.C.D.E.F`);
    if ((r.quantity === undefined) === (r.vib === undefined)) throw new Error(`${at} needs exactly one of quantity and vib`);
    const q = r.quantity === undefined ? 0 : quantityId(r.quantity);
    if (q === undefined) throw new Error(`${at}.quantity "${r.quantity}" is not a quantity name (docs/mbus.md)`);
    if (r.vib !== undefined && !/^([0-9A-Fa-f]{2}){1,11}$/.test(r.vib)) throw new Error(`${at}.vib must be the VIB bytes as hex`);
    const func = FUNCTIONS.indexOf(r.function ?? 'instantaneous');
    if (func < 0) throw new Error(`${at}.function must be one of ${FUNCTIONS.join(', ')}`);
    for (const k of ['storage', 'tariff', 'subunit'] as const) {
      const v = r[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new Error(`${at}.${k} must be an integer >= 0`);
    }
    return {
      quantity: q, vib: r.vib?.toUpperCase() ?? '', func, storage: r.storage ?? 0, tariff: r.tariff ?? 0, subunit: r.subunit ?? 0,
      obis: r.obis, archive: r.archive ?? 'current',
      readingType: r.readingType ?? readingTypeOf(r.archive ?? 'current', r.obis, r.tariff ?? 0)?.code ?? '',
    };
  });
  const s = section.status;
  if (s && !OBIS.test(s.obis ?? '')) throw new Error('mbus.status.obis must be an OBIS code A.B.C.D.E.F');
  return {
    rules, byVib: rules.some((r) => r.vib !== ''),
    status: s ? { obis: s.obis, archive: s.archive ?? 'current', readingType: s.readingType ?? '' } : null,
  };
}

/** Upper-case hex of record `i`'s VIB, plain-text unit included. */
export function vibHex(r: Records, i: number): string {
  const end = (r.dif[i]! & 0x0f) === 0x0d ? r.dataStart[i]! - 1 : r.dataStart[i]!;
  return Buffer.from(r.payload.buffer, r.payload.byteOffset + r.vibStart[i]!, end - r.vibStart[i]!).toString('hex').toUpperCase();
}

/** The rule record `i` matches, or undefined. */
export function matchRecord(m: CompiledMapping, r: Records, i: number): CompiledRule | undefined {
  const vib = m.byVib ? vibHex(r, i) : '';
  for (const rule of m.rules) {
    if (rule.vib ? rule.vib !== vib : rule.quantity !== r.quantity[i]) continue;
    if (rule.func === r.func[i] && rule.storage === r.storage[i] && rule.tariff === r.tariff[i] && rule.subunit === r.subunit[i]) return rule;
  }
  return undefined;
}

/** The unit of record `i` as stored: the plain-text unit when the meter sent one. */
export function unitText(r: Records, i: number, units: readonly string[]): string {
  return r.textLength[i]! > 0 ? reversedText(r.payload, r.textStart[i]!, r.textLength[i]!) : units[r.unit[i]!]!;
}
