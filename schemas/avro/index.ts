/**
 * Avro schemas of the bus topics and their TypeScript shapes. The `.avsc` files beside this module are
 * the source of truth (registered with the schema registry); the interfaces mirror them.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';

export const Topics = {
  rawFrames: 'hes.frames.raw',
  /** The wire trace of sessions (raw-frame schema, no decoding context), when configured: not decoded. */
  wireFrames: 'hes.frames.wire',
  readings: 'hes.readings',
  events: 'hes.events',
  /** `created EndDeviceEvents` (IEC 61968-100 EventMessage, JSON) per stored event, for ESBs that consume Kafka. */
  cimEvents: 'hes.cim.events',
  commandResults: 'hes.command-results',
  deadLetters: 'hes.dead-letters',
} as const;

export type SchemaName = 'raw-frame' | 'reading' | 'device-event' | 'command-result' | 'dead-letter';

/** The schema text of `name`.avsc, as registered. */
export function schemaText(name: SchemaName): string {
  return readFileSync(new URL(`./${name}.avsc`, import.meta.url), 'utf8');
}

export function avroType(name: SchemaName): avsc.Type {
  return avsc.Type.forSchema(JSON.parse(schemaText(name)) as avsc.Schema);
}

export interface CaptureObject {
  classId: number;
  obis: string;
  attribute: number;
  dataIndex: number;
  scaler: number;
  unit: string;
  readingType: string | null;
  tariff: number;
  /** false: parsed but not stored (a tag the task did not ask for); absent in frames of older writers = true. */
  store?: boolean;
}

export interface DecodingContext {
  archive: string;
  retentionDays: number;
  deviceTzMinutes: number | null;
  source: 'POLL' | 'PUSH' | 'IMPORT' | 'MANUAL';
  captureObjects: CaptureObject[];
  /** The buffer is this event journal: rows become events (absent = null). */
  journal?: string | null;
  /** Name of the table of the journal's event codes (decoders/dlms/cosem/event-codes.ts). */
  eventCodes?: string | null;
  /** Decoding context of a protocol other than DLMS, in its decoder's own form (absent = null). */
  protocolContext?: Buffer | null;
}

export interface RawFrame {
  frameId: string;
  wire: Buffer;
  /** MBUS: a wired M-Bus long frame or a wireless M-Bus telegram (with or without its CRC blocks). */
  framing: 'HDLC' | 'WRAPPER' | 'APDU' | 'SMPM' | 'LORAWAN' | 'MBUS';
  direction: 'UPLINK' | 'DOWNLINK';
  deviceId: number | null;
  commLineId: number | null;
  connector: string;
  receivedAt: number;
  sessionId: string | null;
  context: DecodingContext | null;
  /** The decoder that takes the frame (workers/decoders.ts); absent when written = `dlms`. */
  protocol?: string;
  /** Network metadata by name (LoRaWAN devEui, fPort, ...); absent when written = {}. */
  meta?: Record<string, string>;
}

export interface Reading {
  deviceId: number;
  archive: string;
  obis: string;
  readingType: string;
  tariff: number;
  timestamp: number;
  value: number;
  unit: string;
  quality: number;
  deviceStatus: number;
  deviceTzMinutes: number;
  serverTime: number;
  serverTz: string;
  source: string;
  collectedAt: number;
  /** Absent in records of older writers = ''. */
  serial?: string;
  projectId?: string;
  /** Absent in records of older writers = 0. */
  scaler?: number;
}

export interface DeviceEvent {
  deviceId: number;
  journal: string;
  eventCode: number;
  timestamp: number;
  deviceTzMinutes: number;
  serverTime: number;
  source: string;
  parameters: Record<string, string>;
  name: string;
  severity: string;
  raw: string;
}

export interface CommandResult {
  commandId: string;
  deviceId: number;
  command: string;
  status: 'SUCCESS' | 'PARTIAL' | 'ERROR' | 'PENDING' | 'CANCELLED';
  initiator: string;
  startedAt: number;
  finishedAt: number | null;
  result: string | null;
  error: string | null;
}

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  message: Buffer;
  stage: 'envelope' | 'decode' | 'sink';
  reason: string;
  errorCode: string | null;
  errorOffset: number | null;
  failedAt: number;
  /** Absent in records of older writers = null. */
  deviceId?: number | null;
  protocol?: string | null;
}

/** Quality flag bits of a reading (BRIEF §4 measurement tags). */
export const Quality = {
  dataPresent: 1,
  timeNormal: 2,
  estimated: 4,
  edited: 8,
} as const;

const QUALITY_FLAGS: [number, string][] = [[Quality.dataPresent, 'data-present'], [Quality.timeNormal, 'time-normal'], [Quality.estimated, 'estimated'], [Quality.edited, 'edited']];

/** The names of a reading's quality bits (as the API shows them). */
export const qualityNames = (quality: number): string[] => QUALITY_FLAGS.filter(([bit]) => (quality & bit) !== 0).map(([, name]) => name);
