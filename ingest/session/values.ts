/** Read values as JSON for people and the API: scaled numbers with units, date-times, everything else typed. */
import { dataToJson, dataToNumber } from '../../decoders/dlms/axdr/data.js';
import { dateTimeToUtcMs, decodeDateTime, formatDateTime, isValidDateTime } from '../../decoders/dlms/axdr/datetime.js';
import type { CosemDateTime, DlmsData } from '../../decoders/dlms/axdr/types.js';
import { applyScaler, unitSymbol, type ScalerUnit } from '../../decoders/dlms/units.js';

export type ValueJson =
  | { value: number; unit: string }
  | { dateTime: string; utc: string | null; clockStatus: number }
  | { data: unknown };

/** A COSEM date-time carried as octet-string(12) or date-time, else undefined. */
export function dateTimeOf(d: DlmsData): CosemDateTime | undefined {
  if (d.type === 'date-time') return d.value;
  if (d.type === 'octet-string' && d.value.length === 12) {
    const dt = decodeDateTime(d.value);
    if (isValidDateTime(dt)) return dt;
  }
  return undefined;
}

export function utcIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function valueToJson(d: DlmsData, scalerUnit?: ScalerUnit | null): ValueJson {
  const n = dataToNumber(d);
  if (scalerUnit && n !== null) return { value: applyScaler(n, scalerUnit.scaler), unit: unitSymbol(scalerUnit.unit) };
  const dt = dateTimeOf(d);
  if (dt) return { dateTime: formatDateTime(dt), utc: utcIso(dateTimeToUtcMs(dt)), clockStatus: dt.clockStatus };
  return { data: dataToJson(d) };
}
