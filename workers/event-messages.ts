/**
 * `hes.events` records (schemas/avro/device-event.avsc) from the rows the pipeline inserts into the ClickHouse
 * `events` table: the same event, times in milliseconds, the parameters as text by OBIS code (typed values as
 * JSON). Events are few (journal entries, alarms), so they are encoded on the main thread.
 */
import type { EventRow } from '../decoders/protocol-decoder.js';
import type { DeviceEvent } from '../schemas/avro/index.js';

export function deviceEventOf(row: EventRow): DeviceEvent {
  const params = JSON.parse(row.params || '{}') as Record<string, unknown>;
  return {
    deviceId: row.device_id, journal: row.journal, eventCode: row.code, timestamp: row.ts * 1000, deviceTzMinutes: row.device_tz,
    serverTime: row.collected_at * 1000, source: row.source,
    parameters: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
    name: row.name, severity: row.severity ?? '', raw: row.raw,
  };
}
