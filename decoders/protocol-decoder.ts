/**
 * The one interface between the decoder pool (workers/) and a protocol: a raw frame from the bus, with
 * what the registry knows of its device, in; rows for the `readings` and `events` tables and state changes
 * out. A frame that cannot be decoded whole throws, and the pool sends it to the dead letters with the
 * error's message as the reason (and its `code` and `offset` when the error has them) — nothing the frame
 * appended is kept. Decoders are pure: no I/O, no clocks but the frame's, no mutable globals beyond caches.
 *
 * A protocol is one folder under `decoders/<protocol>/` holding its codec and a `ProtocolDecoder`, plus one
 * line in `workers/decoders.ts` naming it for the frames whose `protocol` field carries its name
 * (docs/pipeline.md, "Adding a protocol").
 */
import type { RawFrame } from '../schemas/avro/index.js';

export type { RawFrame, DecodingContext, CaptureObject } from '../schemas/avro/index.js';
export { Quality } from '../schemas/avro/index.js';

/** Text columns of the readings table, kept as dictionaries (ids from `textId`). */
export type ReadingText = 'archive' | 'obis' | 'reading_type' | 'unit' | 'source';

/**
 * Where readings go: the columns of one ClickHouse Native block (workers/readings-block.ts). Rows are added
 * with dictionary ids of the text values; ids stay valid as long as the same block object is used.
 */
export interface ReadingsOut {
  readonly count: number;
  textId(column: ReadingText, value: string): number;
  /** One reading. `ts`/`collectedAt` in seconds (UTC); `raw × 10^scaler` is the value. */
  add(
    deviceId: number, archive: number, obis: number, readingType: number, tariff: number, ts: number, raw: number, scaler: number,
    unit: number, quality: number, deviceStatus: number, deviceTz: number, source: number, collectedAt: number, retentionDays: number,
  ): void;
}

/** Event severities, from the device profile's code tables (a project may override them per event name). */
export type Severity = 'critical' | 'major' | 'minor' | 'info';

/** A row of the ClickHouse `events` table (schemas/clickhouse/002_events.sql); times in seconds. */
export interface EventRow {
  device_id: number;
  journal: string;
  ts: number;
  code: number;
  name: string;
  params: string;
  raw: string;
  device_tz: number;
  source: string;
  collected_at: number;
  retention_days: number;
  /** Absent or '' when the profile names none. */
  severity?: Severity | '';
}

/**
 * The state archive of outages: code `power`, value `off` when the device says it lost power (a last gasp),
 * `on` whenever a frame shows it communicates; the registry opens and closes the device's outages by it.
 */
export const OUTAGE_ARCHIVE = 'state-outage';

/**
 * A device state the frame tells (relay state, an outage starting or ending): stored in the registry's
 * state archives only when the value changes, like the states a session reads.
 */
export interface StateChange {
  deviceId: number;
  /** State archive, e.g. `state-relay`, `state-outage`. */
  archive: string;
  code: string;
  value: unknown;
  /** When the device says it happened (UTC ms). */
  at: number;
}

/** Everything one frame may produce; the pool drops what a failing frame appended. */
export interface DecodeOutput {
  readings: ReadingsOut;
  events: EventRow[];
  states: StateChange[];
  /** Server time of the batch (UTC s): the `collected_at` of its rows. */
  collectedAtSec: number;
  /**
   * Records the frame carried that its profile does not map (not stored): a decoder that maps records adds their
   * number here, so the pipeline counts them (`hes_pipeline_unmapped_records_total`). Absent = not counted.
   */
  unmapped?: number;
}

/**
 * What the registry knows of a frame's device, loaded by the pipeline per batch for the devices whose frames
 * need it (`needsDevice`) and handed to the worker thread with the batch: never on the bus, never logged.
 */
export interface DeviceContext {
  /** The device's registry number (`devices.num`): the `device_id` of its rows. */
  num: number;
  /** The device's registry id (`devices.id`, its CIM mRID); absent where a context is made without the registry. */
  id?: string;
  serial: string;
  projectId: string;
  /** The comm line's device profile (driver); each protocol reads its own section of the body. */
  profile: DeviceProfileRef | null;
  /** The comm line's protocol: its kind (DLMS, SMP_M, ...) and settings, no secrets. */
  protocol: { kind: string; settings: Record<string, unknown> } | null;
  /** The protocol's secrets opened with the master key (hex keys, passwords): process memory only. */
  secrets: Record<string, string>;
  /** The project's overrides of profile data, e.g. `{ severities: { "cover opened": "critical" } }`. */
  overrides: Record<string, unknown>;
  /** Retention depth of the archives by name (0 or absent = never purge): for rows whose frame carries no context. */
  retentionDays?: Record<string, number>;
}

export interface DeviceProfileRef {
  id: string;
  /**
   * Changes whenever the body changes (a version, or a hash of the body): decoders may cache what they
   * compile from a profile under `id@version`.
   */
  version: string;
  body: Record<string, unknown>;
}

export interface ProtocolDecoder {
  /** The `protocol` value of the frames this decoder takes (`dlms`, `mbus`, `lorawan`, `smp-m`, ...). */
  readonly protocol: string;
  /**
   * True when the frame cannot be decoded without its device's registry context (a push with no decoding
   * context, a ciphered frame whose keys are the device's): the pipeline then loads the context and the
   * pool passes it to `decode`. Must be cheap: it runs for every frame.
   */
  needsDevice(frame: RawFrame): boolean;
  /**
   * Appends the frame's rows to `out` and returns how many readings it added. `device` is the device's
   * context when `needsDevice` said so (null: the registry knows no such device, or the device has no
   * comm line). Throws when the frame cannot be stored whole.
   */
  decode(frame: RawFrame, out: DecodeOutput, device: DeviceContext | null | undefined): number;
}

/**
 * A number as an integer and the power of ten to scale it by: integers as they are; a fraction (a float a
 * meter sent) as the integer of its shortest decimal form up to 9 digits after the point. Null when none fits.
 */
export function decimalInteger(n: number): [raw: number, exponent: number] | null {
  for (let k = 0; k <= 9; k++) {
    const m = n * 10 ** k;
    const r = Math.round(m);
    if (Number.isSafeInteger(r) && Math.abs(m - r) <= 1e-9 * Math.max(1, Math.abs(m))) return [r, -k];
  }
  return null;
}

const SEVERITIES = new Set<string>(['critical', 'major', 'minor', 'info']);

/** An event's severity: the project's override by event name, else the device profile's `eventSeverities`, else none (''). */
export function eventSeverity(device: DeviceContext, name: string): Severity | '' {
  const project = (device.overrides.severities as Record<string, unknown> | undefined)?.[name];
  if (typeof project === 'string' && SEVERITIES.has(project)) return project as Severity;
  const profile = (device.profile?.body.eventSeverities as Record<string, unknown> | undefined)?.[name];
  return typeof profile === 'string' && SEVERITIES.has(profile) ? (profile as Severity) : '';
}

/** An error with a stable code and the byte offset where decoding failed (DlmsError has this shape). */
export interface CodedError extends Error {
  code: string;
  offset: number;
}

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { offset?: unknown }).offset === 'number';
}
