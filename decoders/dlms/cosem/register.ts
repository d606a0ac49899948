/**
 * Register (3), Extended register (4) and Demand register (5), all version 0.
 *
 *   scal_unit_type ::= structure { scaler integer, unit enum }      value = raw × 10^scaler [unit]
 *   Register:          1 logical_name, 2 value CHOICE, 3 scaler_unit          method 1 reset(integer(0))
 *   Extended register: + 4 status CHOICE, 5 capture_time octet-string(12)     method 1 reset
 *   Demand register:   1 logical_name, 2 current_average_value, 3 last_average_value, 4 scaler_unit,
 *                      5 status, 6 capture_time, 7 start_time_current, 8 period double-long-unsigned (s),
 *                      9 number_of_periods long-unsigned            methods 1 reset, 2 next_period
 */
import type { CosemDateTime, DlmsData } from '../axdr/types.js';
import { dataToNumber } from '../axdr/data.js';
import { applyScaler, decodeScalerUnit, encodeScalerUnit, unitSymbol, type ScalerUnit } from '../units.js';
import { anyData, attributes, dateTime, int, logicalName, methods, rethrow, u16, u32, valueError, zero, type Codec } from './codec.js';
import { ClassId } from './classes.js';

export const scalerUnit: Codec<ScalerUnit> = {
  decode: (d, what) => rethrow(what, () => decodeScalerUnit(d)),
  encode(v, what) {
    if (!Number.isInteger(v.scaler) || v.scaler < -128 || v.scaler > 127) throw valueError(what, `scaler ${v.scaler} is not an integer -128..127`);
    if (!Number.isInteger(v.unit) || v.unit < 0 || v.unit > 255) throw valueError(what, `unit ${v.unit} is not an enum 0..255`);
    return encodeScalerUnit(v);
  },
};

export interface Register {
  logicalName: string;
  value: DlmsData;
  scalerUnit: ScalerUnit;
}

export interface ExtendedRegister extends Register {
  status: DlmsData;
  captureTime: CosemDateTime;
}

export interface DemandRegister {
  logicalName: string;
  currentAverageValue: DlmsData;
  lastAverageValue: DlmsData;
  scalerUnit: ScalerUnit;
  status: DlmsData;
  captureTime: CosemDateTime;
  startTimeCurrent: CosemDateTime;
  /** Seconds. */
  period: number;
  numberOfPeriods: number;
}

export const registerAttributes = attributes<Register>(ClassId.register, {
  logicalName: [1, logicalName],
  value: [2, anyData],
  scalerUnit: [3, scalerUnit],
});

export const registerMethods = methods<{ reset: 0 }>(ClassId.register, { reset: [1, zero] });

export const extendedRegisterAttributes = attributes<ExtendedRegister>(ClassId.extendedRegister, {
  logicalName: [1, logicalName],
  value: [2, anyData],
  scalerUnit: [3, scalerUnit],
  status: [4, anyData],
  captureTime: [5, dateTime],
});

export const extendedRegisterMethods = methods<{ reset: 0 }>(ClassId.extendedRegister, { reset: [1, zero] });

export const demandRegisterAttributes = attributes<DemandRegister>(ClassId.demandRegister, {
  logicalName: [1, logicalName],
  currentAverageValue: [2, anyData],
  lastAverageValue: [3, anyData],
  scalerUnit: [4, scalerUnit],
  status: [5, anyData],
  captureTime: [6, dateTime],
  startTimeCurrent: [7, dateTime],
  period: [8, u32],
  numberOfPeriods: [9, u16],
});

export const demandRegisterMethods = methods<{ reset: 0; nextPeriod: 0 }>(ClassId.demandRegister, {
  reset: [1, zero],
  nextPeriod: [2, zero],
});

/** A physical quantity: the raw value scaled, with its unit code and symbol. */
export interface ScaledValue {
  value: number;
  unit: number;
  symbol: string;
}

/**
 * raw × 10^scaler of a numeric register value. long64 values beyond 2^53 lose precision in the
 * conversion to number. Non-numeric values (e.g. an octet-string) raise DLMS_ERR_VALUE naming `what`.
 */
export function scaledValue(value: DlmsData, su: ScalerUnit, what = 'value'): ScaledValue {
  const raw = value.type === 'boolean' ? null : dataToNumber(value);
  if (raw === null) throw valueError(what, `expected a numeric value, got ${value.type}`);
  return { value: applyScaler(raw, su.scaler), unit: su.unit, symbol: unitSymbol(su.unit) };
}

type IntegerType = 'integer' | 'long' | 'double-long' | 'unsigned' | 'long-unsigned' | 'double-long-unsigned' | 'long64' | 'long64-unsigned';
type NumericType = IntegerType | 'float32' | 'float64';

/**
 * The raw register value of a physical quantity (the reverse of `scaledValue`): quantity / 10^scaler,
 * rounded to the nearest integer for integer types. Used by the meter simulator to answer reads.
 */
export function rawValue(quantity: number, scaler: number, type: NumericType, what = 'value'): DlmsData {
  const raw = applyScaler(quantity, -scaler);
  if (type === 'float32' || type === 'float64') return { type, value: raw };
  const n = Math.round(raw);
  if (type === 'long64' || type === 'long64-unsigned') {
    if (!Number.isSafeInteger(n) || (type === 'long64-unsigned' && n < 0)) throw valueError(what, `${quantity} does not fit ${type}`);
    return { type, value: BigInt(n) };
  }
  return int(type).encode(n, what);
}
