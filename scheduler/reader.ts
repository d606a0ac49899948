/**
 * The narrow interfaces the scheduler executes launches through. The session engine (ingest/session)
 * implements DeviceReader — one session to one device over one comm line — and the pipeline implements
 * ReadingSink (scheduler/pipeline-sink.ts); ingest/channels' ChannelScheduler satisfies SessionGate as it
 * is. Tests use the fakes in scheduler/testing.ts.
 */
import type { RawFrame } from '../ingest/transport/frames.js';
import type { DecodingContext } from '../schemas/avro/index.js';
import type { CommandItem, Depth, MeasurementItem } from './content.js';
import type { ImageSession } from './image-transfer.js';

export interface DeviceTarget {
  id: string;
  /** The numeric id of the data plane (`devices.num`): bus key, raw frames, ClickHouse `device_id`. */
  num: number;
  projectId: string;
  serialNumber: string;
  type: string;
}

/**
 * A comm line as the scheduler orders and hands it to the reader, with what a session needs of its channel
 * and protocol as the registry holds them when the device's read starts (scheduler.ts `commLines`).
 */
export interface CommLineRef {
  id: string;
  channelId: string;
  channelKind: string;
  exclusive: boolean;
  /** The channel's settings (TCP: host, port). */
  channelSettings: Record<string, unknown>;
  protocolId: string;
  protocolKind: string;
  protocolSettings: Record<string, unknown>;
  /** The protocol's secrets, sealed with the master key (null: none). */
  secretsEnc: string | null;
  profileId: string | null;
  /** The profile version the session uses: the comm line's pinned one, or the latest when the launch started (null: the latest now). */
  profileVersion: number | null;
  protocolMap: string;
  address: string;
  priority: number;
  attempts: number;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** One thing to read in a session: an archive over a range, the event journals, or a state archive. */
export type CollectItem =
  | { kind: 'measurement'; item: MeasurementItem; range?: TimeRange }
  | { kind: 'events'; journals: string[]; depth?: Depth; range?: TimeRange }
  | { kind: 'state'; archive: string };

/** A decoded value: a state (code → value), or a reading from a reader that decodes itself (test fakes). */
export interface CollectedRecord {
  /** OBIS or state/event code. */
  code: string;
  /** e.g. "A+ T1"; absent for events and states. */
  tag?: string;
  deviceTimeMs?: number;
  value: unknown;
}

/**
 * A meter's answer as received (blocks reassembled by the session): a GET-Response APDU, or an M-Bus RSP_UD
 * frame, with what the decoder pool cannot learn from its bytes. The pipeline decodes and stores it.
 */
export interface CollectedFrame {
  /** Unique per frame and stable when published again (session id + sequence). */
  frameId: string;
  sessionId: string;
  /** The answer's bytes: the APDU (DLMS) or the whole long frame (M-Bus). */
  apdu: Uint8Array;
  /** The decoder the frame is for; absent = DLMS. */
  protocol?: 'mbus';
  receivedAt: number;
  context: DecodingContext;
}

export interface CollectOutcome {
  /** 'unsupported': the device lacks this object (the launch result becomes partial, not error). */
  status: 'ok' | 'unsupported' | 'error';
  records: CollectedRecord[];
  /** Raw answers for the pipeline (measurements, journals). */
  frames?: CollectedFrame[];
  note?: string;
}

/** A command's answer from the device. `reason` carries what operators must see as such. */
export interface ControlOutcome {
  ok: boolean;
  value?: unknown;
  note?: string;
  reason?: 'relay-absent' | 'locked' | 'unsupported' | 'refused' | 'error';
}

/** Device-level functions a session performs; `clock-write` is the sync step after the drift check. */
export type ControlRequest = CommandItem | { function: 'clock-write'; params: { utcMs: number } };

/** What a firmware transfer (scheduler/image-transfer.ts) needs of an open session. */
export interface FirmwareLink {
  session: ImageSession;
  imageTransferObis: string;
  firmwareVersionObis: string | null;
  /** The meter's negotiated server-max-receive-pdu-size, and whether requests are ciphered. */
  maxPdu: number;
  ciphered: boolean;
}

/** An open session to one device over one comm line. */
export interface DeviceLink {
  collect(item: CollectItem): Promise<CollectOutcome>;
  control(request: ControlRequest): Promise<ControlOutcome>;
  /** The session for a firmware transfer; undefined when the device profile names no Image Transfer object. */
  firmware?(): FirmwareLink | undefined;
  /** Releases the association and closes the transport; returns the exchange log as text. */
  close(): Promise<string>;
}

/** Why a link could not be opened; the scheduler falls back to the next comm line. */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(message: string, readonly exchangeLog = '') {
    super(message);
  }
}

export interface DeviceReader {
  /** Opens a session (connect + associate, with the comm line's attempts); throws LinkError on failure. */
  open(device: DeviceTarget, line: CommLineRef, signal: AbortSignal): Promise<DeviceLink>;
}

export interface ReadingSink {
  /** Stores what one collect item gave: decoded records and raw frames; resolves once both are durable. */
  write(device: DeviceTarget, item: CollectItem, records: CollectedRecord[], frames?: CollectedFrame[]): Promise<void>;
}

/** Channel limits and throttles: runs `fn` when the channel admits another session. Priority 1 = most urgent. */
/** Where the wire frames of sessions go (PipelineSink.wire: the bus topic hes.frames.wire). */
export interface WireFrameTap {
  /** Also the frames the HES sends. */
  readonly sent: boolean;
  publish(frame: RawFrame, meta: { num: number; sessionId: string; connector: string }): void;
}

export interface SessionGate {
  run<T>(request: { channelId: string; exclusive?: boolean; segment?: string; priority?: number }, fn: () => Promise<T>): Promise<T>;
}

/** A gate without limits (a single process reading a handful of meters, and tests). */
export const openGate: SessionGate = { run: (_req, fn) => fn() };
