/**
 * COSEM units and scaler_unit (Blue Book, class "Register" attribute 3: scal_unit_type ::= structure
 * { scaler: integer, unit: enum }). value = raw × 10^scaler, in `unit`.
 *
 * Unit codes from the Blue Book unit enumeration: 1..72 named below, 58-59, 68-69, 73-252 reserved
 * (128-174 reserved for non-SI units in later editions), 253 = extended table of units, 254 = other
 * unit, 255 = no unit (a count).
 */
import { DlmsError } from './errors.js';
import type { DlmsData } from './axdr/types.js';

/** [code, symbol, quantity]; symbols as printed in the Blue Book unit table. */
const UNIT_TABLE: readonly (readonly [number, string, string])[] = [
  [1, 'a', 'time (year)'],
  [2, 'mo', 'time (month)'],
  [3, 'wk', 'time (week)'],
  [4, 'd', 'time (day)'],
  [5, 'h', 'time (hour)'],
  [6, 'min', 'time (minute)'],
  [7, 's', 'time (second)'],
  [8, '°', 'phase angle'],
  [9, '°C', 'temperature'],
  [10, 'currency', 'local currency'],
  [11, 'm', 'length'],
  [12, 'm/s', 'speed'],
  [13, 'm³', 'volume'],
  [14, 'm³', 'corrected volume'],
  [15, 'm³/h', 'volume flux'],
  [16, 'm³/h', 'corrected volume flux'],
  [17, 'm³/d', 'volume flux (per day)'],
  [18, 'm³/d', 'corrected volume flux (per day)'],
  [19, 'l', 'volume (litre)'],
  [20, 'kg', 'mass'],
  [21, 'N', 'force'],
  [22, 'Nm', 'energy (newton metre)'],
  [23, 'Pa', 'pressure'],
  [24, 'bar', 'pressure (bar)'],
  [25, 'J', 'energy (joule)'],
  [26, 'J/h', 'thermal power'],
  [27, 'W', 'active power'],
  [28, 'VA', 'apparent power'],
  [29, 'var', 'reactive power'],
  [30, 'Wh', 'active energy'],
  [31, 'VAh', 'apparent energy'],
  [32, 'varh', 'reactive energy'],
  [33, 'A', 'current'],
  [34, 'C', 'electrical charge'],
  [35, 'V', 'voltage'],
  [36, 'V/m', 'electric field strength'],
  [37, 'F', 'capacitance'],
  [38, 'Ω', 'resistance'],
  [39, 'Ωm²/m', 'resistivity'],
  [40, 'Wb', 'magnetic flux'],
  [41, 'T', 'magnetic flux density'],
  [42, 'A/m', 'magnetic field strength'],
  [43, 'H', 'inductance'],
  [44, 'Hz', 'frequency'],
  [45, '1/(Wh)', 'active energy meter constant'],
  [46, '1/(varh)', 'reactive energy meter constant'],
  [47, '1/(VAh)', 'apparent energy meter constant'],
  [48, 'V²h', 'volt-squared hours'],
  [49, 'A²h', 'ampere-squared hours'],
  [50, 'kg/s', 'mass flux'],
  [51, 'S', 'conductance'],
  [52, 'K', 'temperature (kelvin)'],
  [53, '1/(V²h)', 'volt-squared hour meter constant'],
  [54, '1/(A²h)', 'ampere-squared hour meter constant'],
  [55, '1/m³', 'volume meter constant'],
  [56, '%', 'percentage'],
  [57, 'Ah', 'ampere-hours'],
  [60, 'Wh/m³', 'energy per volume'],
  [61, 'J/m³', 'calorific value, Wobbe'],
  [62, 'Mol %', 'molar fraction of gas composition'],
  [63, 'g/m³', 'mass density'],
  [64, 'Pa s', 'dynamic viscosity'],
  [65, 'J/kg', 'specific energy'],
  [66, 'g/cm²', 'pressure (gram per square centimetre)'],
  [67, 'atm', 'pressure (atmosphere)'],
  [70, 'dBm', 'signal strength (dB milliwatt)'],
  [71, 'dBµV', 'signal strength (dB microvolt)'],
  [72, 'dB', 'logarithmic ratio'],
  [253, '', 'extended table of units'],
  [254, '', 'other unit'],
  [255, '', 'no unit, count'],
];

const SYMBOLS: ReadonlyMap<number, string> = new Map(UNIT_TABLE.map(([code, symbol]) => [code, symbol]));
const QUANTITIES: ReadonlyMap<number, string> = new Map(UNIT_TABLE.map(([code, , q]) => [code, q]));

/** The unit's symbol; '' for 253..255 (no printable unit) and `unit(<code>)` for a reserved code. */
export function unitSymbol(code: number): string {
  return SYMBOLS.get(code) ?? `unit(${code})`;
}

/** The quantity a unit code measures, or undefined for a reserved code. */
export function unitQuantity(code: number): string | undefined {
  return QUANTITIES.get(code);
}

export interface ScalerUnit {
  scaler: number;
  unit: number;
}

/**
 * scaler_unit from its Data value: structure { integer scaler, enum unit }. Meters that send the
 * scaler as unsigned mean the same two's-complement byte, so it is read as signed.
 */
export function decodeScalerUnit(d: DlmsData): ScalerUnit {
  if (d.type !== 'structure' || d.value.length !== 2) throw new DlmsError('DLMS_ERR_VALUE', `scaler_unit: expected structure of 2, got ${d.type}`);
  const [s, u] = d.value as [DlmsData, DlmsData];
  let scaler: number;
  if (s.type === 'integer') scaler = s.value;
  else if (s.type === 'unsigned') scaler = s.value > 127 ? s.value - 256 : s.value;
  else throw new DlmsError('DLMS_ERR_VALUE', `scaler_unit: scaler is ${s.type}, expected integer`);
  if (u.type !== 'enum' && u.type !== 'unsigned') throw new DlmsError('DLMS_ERR_VALUE', `scaler_unit: unit is ${u.type}, expected enum`);
  return { scaler, unit: u.value };
}

export function encodeScalerUnit(su: ScalerUnit): DlmsData {
  return {
    type: 'structure',
    value: [
      { type: 'integer', value: su.scaler },
      { type: 'enum', value: su.unit },
    ],
  };
}

const POW10: readonly number[] = Array.from({ length: 129 }, (_, i) => 10 ** i);

/**
 * raw × 10^scaler. A negative scaler divides by an exact power of ten, so 12345 with scaler -2 gives
 * exactly 123.45 (multiplying by 0.01 would not).
 */
export function applyScaler(raw: number, scaler: number): number {
  return scaler >= 0 ? raw * POW10[scaler]! : raw / POW10[-scaler]!;
}
