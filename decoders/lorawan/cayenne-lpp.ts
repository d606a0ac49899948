/**
 * Cayenne Low Power Payload (myDevices' public LPP format, widely used by LoRaWAN sensors and meters' radio
 * modules): a sequence of data items, each
 *
 *   channel u8, type u8 (IPSO object id − 3200), then the type's fixed-size value, big endian:
 *
 *   type  name            bytes  value
 *   0     digital-input   1      unsigned, 1
 *   1     digital-output  1      unsigned, 1
 *   2     analog-input    2      signed, 0.01
 *   3     analog-output   2      signed, 0.01
 *   101   illuminance     2      unsigned, 1 lx
 *   102   presence        1      unsigned, 1
 *   103   temperature     2      signed, 0.1 °C
 *   104   humidity        1      unsigned, 0.5 %
 *   113   accelerometer   6      3 × signed, 0.001 G (x, y, z)
 *   115   barometer       2      unsigned, 0.1 hPa
 *   134   gyrometer       6      3 × signed, 0.01 °/s (x, y, z)
 *   136   gps             9      3 × signed 24-bit: latitude 0.0001°, longitude 0.0001°, altitude 0.01 m
 *
 * Example: 03 67 0110 05 67 00FF — channel 3 temperature 27.2 °C, channel 5 temperature 25.5 °C.
 * A value is kept as an integer and a power of ten (humidity's 0.5 % steps: raw × 5, scaler −1).
 */
import { LorawanError } from './errors.js';

export interface LppValue {
  channel: number;
  type: string;
  /** One value per element (three for accelerometer, gyrometer and GPS): raws[k] × 10^scalers[k] in `unit`. */
  raws: number[];
  scalers: number[];
  unit: string;
}

interface LppType {
  name: string;
  /** Bytes per element, elements. */
  size: number;
  count: number;
  signed: boolean;
  /** Raw step multiplier and power of ten. */
  factor: number;
  scaler: number;
  /** Per-element scalers where they differ (GPS altitude). */
  scalers?: readonly number[];
  unit: string;
}

const TYPES: ReadonlyMap<number, LppType> = new Map([
  [0, { name: 'digital-input', size: 1, count: 1, signed: false, factor: 1, scaler: 0, unit: '' }],
  [1, { name: 'digital-output', size: 1, count: 1, signed: false, factor: 1, scaler: 0, unit: '' }],
  [2, { name: 'analog-input', size: 2, count: 1, signed: true, factor: 1, scaler: -2, unit: '' }],
  [3, { name: 'analog-output', size: 2, count: 1, signed: true, factor: 1, scaler: -2, unit: '' }],
  [101, { name: 'illuminance', size: 2, count: 1, signed: false, factor: 1, scaler: 0, unit: 'lx' }],
  [102, { name: 'presence', size: 1, count: 1, signed: false, factor: 1, scaler: 0, unit: '' }],
  [103, { name: 'temperature', size: 2, count: 1, signed: true, factor: 1, scaler: -1, unit: '°C' }],
  [104, { name: 'humidity', size: 1, count: 1, signed: false, factor: 5, scaler: -1, unit: '%' }],
  [113, { name: 'accelerometer', size: 2, count: 3, signed: true, factor: 1, scaler: -3, unit: 'G' }],
  [115, { name: 'barometer', size: 2, count: 1, signed: false, factor: 1, scaler: -1, unit: 'hPa' }],
  [134, { name: 'gyrometer', size: 2, count: 3, signed: true, factor: 1, scaler: -2, unit: '°/s' }],
  [136, { name: 'gps', size: 3, count: 3, signed: true, factor: 1, scaler: -4, scalers: [-4, -4, -2], unit: '' }],
]);

/** The LPP type names (profile mappings name them). */
export const LPP_TYPES: readonly string[] = [...TYPES.values()].map((t) => t.name);

function readInt(b: Uint8Array, at: number, size: number, signed: boolean): number {
  let n = 0;
  for (let k = 0; k < size; k++) n = n * 256 + b[at + k]!;
  const top = 2 ** (8 * size);
  return signed && n >= top / 2 ? n - top : n;
}

export function decodeCayenneLpp(b: Uint8Array): LppValue[] {
  if (b.length === 0) throw new LorawanError('LPP_EMPTY', 'the payload is empty');
  const out: LppValue[] = [];
  let i = 0;
  while (i < b.length) {
    if (i + 2 > b.length) throw new LorawanError('LPP_TRUNCATED', `a data item at byte ${i} needs a channel and a type`, i);
    const channel = b[i]!;
    const type = TYPES.get(b[i + 1]!);
    if (!type) throw new LorawanError('LPP_TYPE', `channel ${channel}: LPP type ${b[i + 1]} is not known`, i + 1);
    i += 2;
    const len = type.size * type.count;
    if (i + len > b.length) throw new LorawanError('LPP_TRUNCATED', `channel ${channel} ${type.name} needs ${len} bytes, ${b.length - i} left`, i);
    const raws: number[] = [];
    for (let k = 0; k < type.count; k++) raws.push(readInt(b, i + k * type.size, type.size, type.signed) * type.factor);
    i += len;
    out.push({ channel, type: type.name, raws, scalers: type.scalers ? [...type.scalers] : raws.map(() => type.scaler), unit: type.unit });
  }
  return out;
}
