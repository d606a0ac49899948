/** Test support for protocol decoders (imported by tests only): an output that records what a decoder adds. */
import { applyScaler } from './dlms/units.js';
import type { DecodeOutput, EventRow, ReadingsOut, StateChange } from './protocol-decoder.js';

/** One reading as the decoder added it to a block, text columns resolved (tests). */
export interface DecodedReading {
  deviceId: number;
  archive: string;
  obis: string;
  tariff: number;
  ts: number;
  raw: number;
  scaler: number;
  unit: string;
  quality: number;
  deviceTz: number;
  source: string;
  retentionDays: number;
  /** raw × 10^scaler */
  value: number;
}

/** A DecodeOutput whose readings are kept as objects, text columns resolved. */
export function recordingOutput(collectedAtSec = Math.floor(Date.now() / 1000)): DecodeOutput & { rows: DecodedReading[] } {
  const texts = new Map<string, string[]>();
  const rows: DecodedReading[] = [];
  // Records what the decoder adds instead of building a Native block.
  const block: ReadingsOut = {
    get count() {
      return rows.length;
    },
    textId(column: string, value: string): number {
      const list = texts.get(column) ?? [];
      texts.set(column, list);
      const i = list.indexOf(value);
      return i >= 0 ? i : list.push(value) - 1;
    },
    add(deviceId: number, archive: number, obis: number, _readingType: number, tariff: number, ts: number, raw: number, scaler: number, unit: number,
      quality: number, _status: number, deviceTz: number, source: number, _collectedAt: number, retentionDays: number): void {
      const text = (c: string, i: number) => texts.get(c)![i]!;
      rows.push({
        deviceId, archive: text('archive', archive), obis: text('obis', obis), tariff, ts, raw, scaler, unit: text('unit', unit), quality, deviceTz,
        source: text('source', source), retentionDays, value: applyScaler(raw, scaler),
      });
    },
  };
  return { readings: block, events: [] as EventRow[], states: [] as StateChange[], collectedAtSec, rows };
}
