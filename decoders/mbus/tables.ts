/**
 * The code tables of EN 13757-3 (application layer) and EN 13757-4 (link layer) that name things:
 *
 *   manufacturer   2 bytes, little-endian: ((c1 - 64) << 10) | ((c2 - 64) << 5) | (c3 - 64), 'A' = 1
 *   device type    (medium) 1 byte, EN 13757-7 Table 12 (0x07 water, 0x04 heat, 0x03 gas, ...)
 *   status         1 byte of the TPL header: bits 0-1 application state, 2 power low, 3 permanent error,
 *                  4 temporary error, 5-7 manufacturer specific
 *   VIF            primary table (EN 13757-3 Table 10), extension tables 0xFD (Table 14) and 0xFB
 *                  (Table 12), combinable (orthogonal) VIFE (Table 15); below as ranges:
 *                  [first code, last code, quantity, unit, exponent of the first code]; the exponent
 *                  grows by one per code in the range. A unit of TIME / TIME_LONG takes the last two bits
 *                  as the time unit (s, min, h, d / h, d, month, year) with exponent 0.
 *
 * A quantity's `kind` says how its integer data are read: a number (signed, type B), binary flags
 * (unsigned, type D), a date (type G, 2 bytes), a date-time (type F 4 bytes, I 6 bytes) or a time (J).
 */

export type QuantityKind = 'number' | 'binary' | 'date' | 'datetime' | 'text';

export interface Quantity {
  /** Stable machine name, used by device profiles to map records to readings. */
  name: string;
  kind: QuantityKind;
}

/** Name and kind of every quantity a VIF can name; index 0 is "unknown". */
export const QUANTITIES: readonly Quantity[] = [
  { name: 'unknown', kind: 'number' },
  { name: 'energy', kind: 'number' },
  { name: 'volume', kind: 'number' },
  { name: 'mass', kind: 'number' },
  { name: 'on-time', kind: 'number' },
  { name: 'operating-time', kind: 'number' },
  { name: 'power', kind: 'number' },
  { name: 'volume-flow', kind: 'number' },
  { name: 'mass-flow', kind: 'number' },
  { name: 'flow-temperature', kind: 'number' },
  { name: 'return-temperature', kind: 'number' },
  { name: 'temperature-difference', kind: 'number' },
  { name: 'external-temperature', kind: 'number' },
  { name: 'pressure', kind: 'number' },
  { name: 'date', kind: 'date' },
  { name: 'date-time', kind: 'datetime' },
  { name: 'hca-units', kind: 'number' },
  { name: 'averaging-duration', kind: 'number' },
  { name: 'actuality-duration', kind: 'number' },
  { name: 'fabrication-number', kind: 'number' },
  { name: 'enhanced-identification', kind: 'number' },
  { name: 'bus-address', kind: 'number' },
  { name: 'plain-text-unit', kind: 'number' },
  { name: 'manufacturer-specific', kind: 'binary' },
  { name: 'any', kind: 'number' },
  // 0xFD table
  { name: 'credit', kind: 'number' },
  { name: 'debit', kind: 'number' },
  { name: 'message-id', kind: 'number' },
  { name: 'device-type', kind: 'binary' },
  { name: 'manufacturer', kind: 'binary' },
  { name: 'parameter-set', kind: 'binary' },
  { name: 'model-version', kind: 'number' },
  { name: 'hardware-version', kind: 'number' },
  { name: 'firmware-version', kind: 'number' },
  { name: 'software-version', kind: 'number' },
  { name: 'customer-location', kind: 'number' },
  { name: 'customer', kind: 'number' },
  { name: 'access-code-user', kind: 'binary' },
  { name: 'access-code-operator', kind: 'binary' },
  { name: 'access-code-system-operator', kind: 'binary' },
  { name: 'access-code-developer', kind: 'binary' },
  { name: 'password', kind: 'binary' },
  { name: 'error-flags', kind: 'binary' },
  { name: 'error-mask', kind: 'binary' },
  { name: 'security-key', kind: 'binary' },
  { name: 'digital-output', kind: 'binary' },
  { name: 'digital-input', kind: 'binary' },
  { name: 'baud-rate', kind: 'number' },
  { name: 'response-delay', kind: 'number' },
  { name: 'retry', kind: 'number' },
  { name: 'remote-control', kind: 'binary' },
  { name: 'first-storage-number', kind: 'number' },
  { name: 'last-storage-number', kind: 'number' },
  { name: 'storage-block-size', kind: 'number' },
  { name: 'tariff-descriptor', kind: 'binary' },
  { name: 'storage-interval', kind: 'number' },
  { name: 'operator-specific', kind: 'binary' },
  { name: 'time-point-second', kind: 'number' },
  { name: 'duration-since-readout', kind: 'number' },
  { name: 'tariff-start', kind: 'datetime' },
  { name: 'tariff-duration', kind: 'number' },
  { name: 'tariff-period', kind: 'number' },
  { name: 'dimensionless', kind: 'number' },
  { name: 'voltage', kind: 'number' },
  { name: 'current', kind: 'number' },
  { name: 'reset-counter', kind: 'number' },
  { name: 'cumulation-counter', kind: 'number' },
  { name: 'control-signal', kind: 'binary' },
  { name: 'day-of-week', kind: 'number' },
  { name: 'week-number', kind: 'number' },
  { name: 'day-change-time', kind: 'datetime' },
  { name: 'parameter-activation-state', kind: 'binary' },
  { name: 'supplier-information', kind: 'binary' },
  { name: 'duration-since-cumulation', kind: 'number' },
  { name: 'battery-operating-time', kind: 'number' },
  { name: 'battery-change-date', kind: 'datetime' },
  { name: 'rf-level', kind: 'number' },
  { name: 'daylight-saving', kind: 'binary' },
  { name: 'listening-window', kind: 'binary' },
  { name: 'battery-remaining', kind: 'number' },
  { name: 'meter-stops', kind: 'number' },
  { name: 'manufacturer-container', kind: 'binary' },
  // 0xFB table
  { name: 'reactive-energy', kind: 'number' },
  { name: 'reactive-power', kind: 'number' },
  { name: 'relative-humidity', kind: 'number' },
  { name: 'phase-angle-voltage', kind: 'number' },
  { name: 'phase-angle-current', kind: 'number' },
  { name: 'frequency', kind: 'number' },
  { name: 'apparent-power', kind: 'number' },
  { name: 'temperature-limit', kind: 'number' },
  { name: 'max-power-count', kind: 'number' },
];

const QUANTITY_ID = new Map(QUANTITIES.map((q, i) => [q.name, i]));
export function quantityId(name: string): number | undefined {
  return QUANTITY_ID.get(name);
}

/** Physical units: index 0 is "none". */
export const UNITS: readonly string[] = [
  '', 'Wh', 'J', 'm3', 'kg', 's', 'min', 'h', 'd', 'month', 'year', 'W', 'J/h', 'm3/h', 'm3/min', 'm3/s', 'kg/h',
  '°C', 'K', 'bar', 'V', 'A', 'dBm', 'currency', 'varh', 'var', '%', 'ft3', 'deg', 'Hz', 'VA', '°F', 'cal', 'Bd',
];
const UNIT_ID = new Map(UNITS.map((u, i) => [u, i]));
const TIME = 'TIME';
const TIME_LONG = 'TIME_LONG';

type Rule = readonly [first: number, last: number, quantity: string, unit: string, exponent: number];

/** EN 13757-3 Table 10, primary VIF (bit 7 is the extension bit, masked off). */
const PRIMARY: readonly Rule[] = [
  [0x00, 0x07, 'energy', 'Wh', -3],
  [0x08, 0x0f, 'energy', 'J', 0],
  [0x10, 0x17, 'volume', 'm3', -6],
  [0x18, 0x1f, 'mass', 'kg', -3],
  [0x20, 0x23, 'on-time', TIME, 0],
  [0x24, 0x27, 'operating-time', TIME, 0],
  [0x28, 0x2f, 'power', 'W', -3],
  [0x30, 0x37, 'power', 'J/h', 0],
  [0x38, 0x3f, 'volume-flow', 'm3/h', -6],
  [0x40, 0x47, 'volume-flow', 'm3/min', -7],
  [0x48, 0x4f, 'volume-flow', 'm3/s', -9],
  [0x50, 0x57, 'mass-flow', 'kg/h', -3],
  [0x58, 0x5b, 'flow-temperature', '°C', -3],
  [0x5c, 0x5f, 'return-temperature', '°C', -3],
  [0x60, 0x63, 'temperature-difference', 'K', -3],
  [0x64, 0x67, 'external-temperature', '°C', -3],
  [0x68, 0x6b, 'pressure', 'bar', -3],
  [0x6c, 0x6c, 'date', '', 0],
  [0x6d, 0x6d, 'date-time', '', 0],
  [0x6e, 0x6e, 'hca-units', '', 0],
  [0x70, 0x73, 'averaging-duration', TIME, 0],
  [0x74, 0x77, 'actuality-duration', TIME, 0],
  [0x78, 0x78, 'fabrication-number', '', 0],
  [0x79, 0x79, 'enhanced-identification', '', 0],
  [0x7a, 0x7a, 'bus-address', '', 0],
  [0x7e, 0x7e, 'any', '', 0],
  [0x7f, 0x7f, 'manufacturer-specific', '', 0],
];

/** EN 13757-3 Table 14, the VIFE after VIF 0xFD. */
const TABLE_FD: readonly Rule[] = [
  [0x00, 0x03, 'credit', 'currency', -3],
  [0x04, 0x07, 'debit', 'currency', -3],
  [0x08, 0x08, 'message-id', '', 0],
  [0x09, 0x09, 'device-type', '', 0],
  [0x0a, 0x0a, 'manufacturer', '', 0],
  [0x0b, 0x0b, 'parameter-set', '', 0],
  [0x0c, 0x0c, 'model-version', '', 0],
  [0x0d, 0x0d, 'hardware-version', '', 0],
  [0x0e, 0x0e, 'firmware-version', '', 0],
  [0x0f, 0x0f, 'software-version', '', 0],
  [0x10, 0x10, 'customer-location', '', 0],
  [0x11, 0x11, 'customer', '', 0],
  [0x12, 0x12, 'access-code-user', '', 0],
  [0x13, 0x13, 'access-code-operator', '', 0],
  [0x14, 0x14, 'access-code-system-operator', '', 0],
  [0x15, 0x15, 'access-code-developer', '', 0],
  [0x16, 0x16, 'password', '', 0],
  [0x17, 0x17, 'error-flags', '', 0],
  [0x18, 0x18, 'error-mask', '', 0],
  [0x19, 0x19, 'security-key', '', 0],
  [0x1a, 0x1a, 'digital-output', '', 0],
  [0x1b, 0x1b, 'digital-input', '', 0],
  [0x1c, 0x1c, 'baud-rate', 'Bd', 0],
  [0x1d, 0x1d, 'response-delay', '', 0],
  [0x1e, 0x1e, 'retry', '', 0],
  [0x1f, 0x1f, 'remote-control', '', 0],
  [0x20, 0x20, 'first-storage-number', '', 0],
  [0x21, 0x21, 'last-storage-number', '', 0],
  [0x22, 0x22, 'storage-block-size', '', 0],
  [0x23, 0x23, 'tariff-descriptor', '', 0],
  [0x24, 0x27, 'storage-interval', TIME, 0],
  [0x28, 0x28, 'storage-interval', 'month', 0],
  [0x29, 0x29, 'storage-interval', 'year', 0],
  [0x2a, 0x2a, 'operator-specific', '', 0],
  [0x2b, 0x2b, 'time-point-second', 's', 0],
  [0x2c, 0x2f, 'duration-since-readout', TIME, 0],
  [0x30, 0x30, 'tariff-start', '', 0],
  [0x31, 0x33, 'tariff-duration', TIME, 0],
  [0x34, 0x37, 'tariff-period', TIME, 0],
  [0x38, 0x38, 'tariff-period', 'month', 0],
  [0x39, 0x39, 'tariff-period', 'year', 0],
  [0x3a, 0x3a, 'dimensionless', '', 0],
  [0x40, 0x4f, 'voltage', 'V', -9],
  [0x50, 0x5f, 'current', 'A', -12],
  [0x60, 0x60, 'reset-counter', '', 0],
  [0x61, 0x61, 'cumulation-counter', '', 0],
  [0x62, 0x62, 'control-signal', '', 0],
  [0x63, 0x63, 'day-of-week', '', 0],
  [0x64, 0x64, 'week-number', '', 0],
  [0x65, 0x65, 'day-change-time', '', 0],
  [0x66, 0x66, 'parameter-activation-state', '', 0],
  [0x67, 0x67, 'supplier-information', '', 0],
  [0x68, 0x6b, 'duration-since-cumulation', TIME_LONG, 0],
  [0x6c, 0x6f, 'battery-operating-time', TIME_LONG, 0],
  [0x70, 0x70, 'battery-change-date', '', 0],
  [0x71, 0x71, 'rf-level', 'dBm', 0],
  [0x72, 0x72, 'daylight-saving', '', 0],
  [0x73, 0x73, 'listening-window', '', 0],
  [0x74, 0x74, 'battery-remaining', 'd', 0],
  [0x75, 0x75, 'meter-stops', '', 0],
  [0x76, 0x76, 'manufacturer-container', '', 0],
];

/** EN 13757-3 Table 12, the VIFE after VIF 0xFB; large units are stored in base units (MWh → Wh, 10^6). */
const TABLE_FB: readonly Rule[] = [
  [0x00, 0x01, 'energy', 'Wh', 5],
  [0x02, 0x03, 'reactive-energy', 'varh', 3],
  [0x08, 0x09, 'energy', 'J', 8],
  [0x0c, 0x0f, 'energy', 'cal', 5],
  [0x10, 0x11, 'volume', 'm3', 2],
  [0x14, 0x17, 'reactive-power', 'var', 0],
  [0x18, 0x19, 'mass', 'kg', 5],
  [0x1a, 0x1b, 'relative-humidity', '%', -1],
  [0x20, 0x20, 'volume', 'ft3', 0],
  [0x21, 0x21, 'volume', 'ft3', -1],
  [0x28, 0x29, 'power', 'W', 5],
  [0x2a, 0x2a, 'phase-angle-voltage', 'deg', -1],
  [0x2b, 0x2b, 'phase-angle-current', 'deg', -1],
  [0x2c, 0x2f, 'frequency', 'Hz', -3],
  [0x30, 0x31, 'power', 'J/h', 8],
  [0x34, 0x37, 'apparent-power', 'VA', 0],
  [0x58, 0x5b, 'flow-temperature', '°F', -3],
  [0x5c, 0x5f, 'return-temperature', '°F', -3],
  [0x60, 0x63, 'temperature-difference', '°F', -3],
  [0x64, 0x67, 'external-temperature', '°F', -3],
  [0x70, 0x73, 'temperature-limit', '°F', -3],
  [0x74, 0x77, 'temperature-limit', '°C', -3],
  [0x78, 0x7f, 'max-power-count', 'W', -3],
];

/** A VIF table expanded to 128 entries: quantity id, unit id and exponent per code (quantity 0 = not in the table). */
export interface VifTable {
  quantity: Uint8Array;
  unit: Uint8Array;
  exponent: Int8Array;
}

function expand(rules: readonly Rule[]): VifTable {
  const t: VifTable = { quantity: new Uint8Array(128), unit: new Uint8Array(128), exponent: new Int8Array(128) };
  for (const [first, last, q, u, e] of rules) {
    for (let code = first; code <= last; code++) {
      t.quantity[code] = QUANTITY_ID.get(q)!;
      if (u === TIME || u === TIME_LONG) {
        t.unit[code] = UNIT_ID.get((u === TIME ? ['s', 'min', 'h', 'd'] : ['h', 'd', 'month', 'year'])[code & 3]!)!;
        t.exponent[code] = 0;
      } else {
        t.unit[code] = UNIT_ID.get(u)!;
        t.exponent[code] = e + code - first;
      }
    }
  }
  return t;
}

export const VIF_PRIMARY = expand(PRIMARY);
export const VIF_FD = expand(TABLE_FD);
export const VIF_FB = expand(TABLE_FB);
export const QUANTITY_PLAIN_TEXT = QUANTITY_ID.get('plain-text-unit')!;
export const QUANTITY_MANUFACTURER = QUANTITY_ID.get('manufacturer-specific')!;

/**
 * Combinable (orthogonal) VIFE, EN 13757-3 Table 15: what a VIFE after the first VIF says about the
 * value. 0x00-0x1F in a slave's answer are record error codes (Table 18), below in RECORD_ERRORS.
 */
const VIFE_NAMES: Record<number, string> = {
  0x20: 'per second', 0x21: 'per minute', 0x22: 'per hour', 0x23: 'per day', 0x24: 'per week', 0x25: 'per month', 0x26: 'per year',
  0x27: 'per revolution/measurement', 0x28: 'increment per input pulse, channel 0', 0x29: 'increment per input pulse, channel 1',
  0x2a: 'increment per output pulse, channel 0', 0x2b: 'increment per output pulse, channel 1', 0x2c: 'per litre', 0x2d: 'per m3',
  0x2e: 'per kg', 0x2f: 'per K', 0x30: 'per kWh', 0x31: 'per GJ', 0x32: 'per kW', 0x33: 'per K·l', 0x34: 'per V', 0x35: 'per A',
  0x36: 'multiplied by s', 0x37: 'multiplied by s/V', 0x38: 'multiplied by s/A', 0x39: 'start date(/time) of',
  0x3a: 'uncorrected (at metering conditions)', 0x3b: 'accumulation of positive contributions only (forward)',
  0x3c: 'accumulation of negative contributions only (backward)', 0x3d: 'alternate non-metric unit system',
  0x3e: 'value at base conditions', 0x3f: 'OBIS declaration',
  0x40: 'lower limit value', 0x48: 'upper limit value', 0x41: 'number of exceeds of lower limit', 0x49: 'number of exceeds of upper limit',
  0x7d: 'multiplied by 1000', 0x7e: 'future value', 0x7f: 'manufacturer specific',
};

/** Record error codes a slave reports in a VIFE (EN 13757-3 Table 18). */
const RECORD_ERRORS: Record<number, string> = {
  0x00: 'none', 0x01: 'too many DIFEs', 0x02: 'storage number not implemented', 0x03: 'unit number not implemented',
  0x04: 'tariff number not implemented', 0x05: 'function not implemented', 0x06: 'data class not implemented',
  0x07: 'data size not implemented', 0x0b: 'too many VIFEs', 0x0c: 'illegal VIF group', 0x0d: 'illegal VIF exponent',
  0x0e: 'VIF/DIF mismatch', 0x0f: 'unimplemented action', 0x15: 'no data available (undefined value)', 0x16: 'data overflow',
  0x17: 'data underflow', 0x18: 'data error', 0x1c: 'premature end of record',
};

/** Words for a combinable VIFE code (extension bit masked off). */
export function vifeName(code: number): string {
  if (code < 0x20) return `record error: ${RECORD_ERRORS[code] ?? `reserved 0x${code.toString(16)}`}`;
  const named = VIFE_NAMES[code];
  if (named) return named;
  if (code >= 0x70 && code <= 0x77) return `multiplicative correction factor 10^${code - 0x70 - 6}`;
  if (code >= 0x78 && code <= 0x7b) return `additive correction constant 10^${(code & 3) - 3} × unit`;
  if (code >= 0x40 && code <= 0x6f) return `limit value information 0x${code.toString(16)}`;
  return `reserved 0x${code.toString(16)}`;
}

/** The three letters of a manufacturer code (EN 13757-3 §5.6 / the FLAG list). */
export function manufacturerCode(m: number): string {
  return String.fromCharCode(((m >> 10) & 0x1f) + 64, ((m >> 5) & 0x1f) + 64, (m & 0x1f) + 64);
}

/** The manufacturer field of three letters A-Z. */
export function manufacturerFromCode(code: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  return ((code.charCodeAt(0) - 64) << 10) | ((code.charCodeAt(1) - 64) << 5) | (code.charCodeAt(2) - 64);
}

/** Device types (medium), EN 13757-7:2018 Table 12. */
const DEVICE_TYPES: Record<number, string> = {
  0x00: 'other', 0x01: 'oil', 0x02: 'electricity', 0x03: 'gas', 0x04: 'heat (outlet)', 0x05: 'steam', 0x06: 'warm water (30-90 °C)',
  0x07: 'water', 0x08: 'heat cost allocator', 0x09: 'compressed air', 0x0a: 'cooling (outlet)', 0x0b: 'cooling (inlet)',
  0x0c: 'heat (inlet)', 0x0d: 'heat / cooling', 0x0e: 'bus / system component', 0x0f: 'unknown medium', 0x10: 'irrigation water',
  0x11: 'water data logger', 0x12: 'gas data logger', 0x13: 'gas converter', 0x14: 'calorific value', 0x15: 'hot water (≥ 90 °C)',
  0x16: 'cold water', 0x17: 'dual register (hot/cold) water', 0x18: 'pressure', 0x19: 'A/D converter', 0x1a: 'smoke detector',
  0x1b: 'room sensor', 0x1c: 'gas detector', 0x20: 'breaker (electricity)', 0x21: 'valve (gas or water)', 0x25: 'customer unit (display)',
  0x28: 'waste water', 0x29: 'garbage', 0x2a: 'carbon dioxide', 0x31: 'communication controller', 0x32: 'unidirectional repeater',
  0x33: 'bidirectional repeater', 0x36: 'radio converter (system side)', 0x37: 'radio converter (meter side)', 0x38: 'wired adapter',
};

export function deviceTypeName(t: number): string {
  return DEVICE_TYPES[t] ?? `reserved 0x${t.toString(16).padStart(2, '0')}`;
}

/** The TPL status byte in words. */
export function statusFlags(s: number): string[] {
  const out: string[] = [];
  const app = s & 3;
  if (app === 1) out.push('application busy');
  else if (app === 2) out.push('application error');
  else if (app === 3) out.push('abnormal condition / alarm');
  if (s & 0x04) out.push('power low');
  if (s & 0x08) out.push('permanent error');
  if (s & 0x10) out.push('temporary error');
  if (s & 0xe0) out.push(`manufacturer specific 0x${(s & 0xe0).toString(16)}`);
  return out;
}

/** The function field of a DIF (bits 4-5). */
export const FUNCTIONS = ['instantaneous', 'maximum', 'minimum', 'error'] as const;
export type RecordFunction = (typeof FUNCTIONS)[number];
