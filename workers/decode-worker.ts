/**
 * Piscina task: one batch of bus messages (Confluent-framed RawFrame records) → one Native block of
 * readings, the events and state changes, plus the failures. Each frame goes to the decoder of its
 * `protocol` (workers/decoders.ts). Messages arrive packed in one transferred ArrayBuffer; the block goes
 * back transferred. A bad message never throws out of the task: it is reported for the dead-letter topic.
 */
import avsc from 'avsc';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { isCodedError, type DecodeOutput, type DeviceContext, type DeviceProfileRef, type EventRow, type StateChange } from '../decoders/protocol-decoder.js';
import { avroType, type RawFrame } from '../schemas/avro/index.js';
import { wireSchemaId } from '../schemas/registry/index.js';
import { Decoders } from './decoders.js';
import { ReadingsBlock } from './readings-block.js';
import type { FramedMessages } from '../bus/framed.js';
import { encodeReadingFeed } from './reading-messages.js';

/** A device's context as a task carries it: the profile by its key in `DecodeTask.profiles` (sent once per task). */
export type DeviceEntry = Omit<DeviceContext, 'profile'> & { profile: string | null };

export interface DecodeTask {
  /** Message values back to back; `bounds[2i]..bounds[2i+1]` is message i. */
  buffer: ArrayBuffer;
  bounds: Uint32Array;
  /** Writer schemas by id, for every schema id in the batch. */
  writerSchemas: Record<number, string>;
  collectedAtSec: number;
  /**
   * When set, the readings also come back as `hes.readings` messages with this schema id, framed for the
   * feed topic's partitions; device serial and project from `devices` (a device without an entry there
   * goes out with empty names: the pipeline gives every device of the batch an entry when it has a source).
   */
  feed?: { schemaId: number; partitions: number };
  /**
   * Registry contexts of the devices whose frames need one (`ProtocolDecoder.needsDevice`), by device
   * number; null = looked up, the registry has none. Loaded by the pipeline, in process memory only.
   */
  devices?: Record<number, DeviceEntry | null>;
  /** The device profiles those contexts name, by `id@version`. */
  profiles?: Record<string, DeviceProfileRef>;
}

export interface DecodeFailure {
  index: number;
  stage: 'envelope' | 'decode';
  reason: string;
  errorCode: string | null;
  errorOffset: number | null;
  /** The frame's device number, when the envelope could be read and named one. */
  deviceId: number | null;
  protocol: string | null;
}

export interface DecodeResult {
  block: Uint8Array;
  readings: number;
  /** Event rows as JSONEachRow lines for the `events` table ('' when none). */
  events: string;
  eventCount: number;
  states: StateChange[];
  failures: DecodeFailure[];
  /** With `feed`: one message per reading, framed for the bus, by partition. */
  feed?: FramedMessages;
  /**
   * Devices whose frames need a context the task did not carry. Non-empty: the result is incomplete and
   * is to be discarded; the pipeline loads these contexts and runs the batch again.
   */
  missingDevices: number[];
}

const reader = avroType('raw-frame');
const resolvers = new Map<number, avsc.Resolver | null>();
const decoders = new Decoders();

function readFrame(message: Buffer, schemas: Record<number, string>): RawFrame {
  const id = wireSchemaId(message);
  let r = resolvers.get(id);
  if (r === undefined) {
    const text = schemas[id];
    if (text === undefined) throw new Error(`unknown schema id ${id}`);
    const writer = avsc.Type.forSchema(JSON.parse(text) as avsc.Schema);
    r = writer.equals(reader) ? null : reader.createResolver(writer);
    resolvers.set(id, r);
  }
  return (r ? reader.fromBuffer(message.subarray(5), r) : reader.fromBuffer(message.subarray(5))) as RawFrame;
}

/**
 * Rows accumulate in one block per thread, reused from task to task: a batch of a million readings
 * needs ~40 MB of columns, and allocating them per task kept the garbage collector busy. A block whose
 * dictionaries have grown large (many distinct OBIS codes or reading types over time) is replaced.
 */
let reusable: ReadingsBlock | undefined;
const MAX_DICTIONARY = 4096;

function emptyBlock(bytes: number): ReadingsBlock {
  if (!reusable || reusable.dictionarySize > MAX_DICTIONARY) {
    // A reading takes at least 5 bytes on the wire (tag + 4-byte value): a first guess, the block grows.
    reusable = new ReadingsBlock(Math.max(1024, Math.ceil(bytes / 5)));
  }
  reusable.clear();
  return reusable;
}

/** Receive time (ms) of each row's frame, the readings' serverTime; reused like the block. */
let serverTimes = new Float64Array(0);

function stampServerTime(from: number, to: number, ms: number): void {
  if (to > serverTimes.length) {
    const grown = new Float64Array(Math.max(to, 2 * serverTimes.length));
    grown.set(serverTimes.subarray(0, from));
    serverTimes = grown;
  }
  serverTimes.fill(ms, from, to);
}

/** The task's device contexts with their profiles joined, made on first use per device. */
function deviceContexts(task: DecodeTask): (num: number) => DeviceContext | null | undefined {
  const made = new Map<number, DeviceContext | null>();
  return (num) => {
    let c = made.get(num);
    if (c !== undefined) return c;
    const entry = task.devices?.[num];
    if (entry === undefined) return undefined;
    c = entry === null ? null : { ...entry, profile: entry.profile === null ? null : task.profiles?.[entry.profile] ?? null };
    made.set(num, c);
    return c;
  };
}

export default function decodeBatch(task: DecodeTask): DecodeResult {
  const block = emptyBlock(task.buffer.byteLength);
  const failures: DecodeFailure[] = [];
  const events: EventRow[] = [];
  const states: StateChange[] = [];
  const out: DecodeOutput = { readings: block, events, states, collectedAtSec: task.collectedAtSec };
  const device = deviceContexts(task);
  const missing = new Set<number>();
  const all = Buffer.from(task.buffer);
  let readings = 0;
  for (let i = 0; i < task.bounds.length / 2; i++) {
    const message = all.subarray(task.bounds[2 * i]!, task.bounds[2 * i + 1]!);
    let frame: RawFrame;
    try {
      frame = readFrame(message, task.writerSchemas);
    } catch (e) {
      failures.push({ index: i, stage: 'envelope', reason: e instanceof Error ? e.message : String(e), errorCode: null, errorOffset: null, deviceId: null, protocol: null });
      continue;
    }
    const protocol = frame.protocol ?? 'dlms';
    const fail = (reason: string, e?: unknown): void => {
      failures.push({
        index: i, stage: 'decode', reason, errorCode: isCodedError(e) ? e.code : null, errorOffset: isCodedError(e) && e.offset >= 0 ? e.offset : null,
        deviceId: frame.deviceId, protocol,
      });
    };
    const decoder = decoders.for(protocol);
    if (!decoder) {
      fail(`no decoder for protocol "${protocol}"`);
      continue;
    }
    if (frame.deviceId === null) {
      fail('frame has no device id (the connector could not bind it to a registered device)');
      continue;
    }
    let context: DeviceContext | null | undefined;
    if (decoder.needsDevice(frame)) {
      context = device(frame.deviceId);
      if (context === undefined) missing.add(frame.deviceId);
    }
    // Once a context is missing the batch runs again: only the other missing devices are worth finding.
    if (missing.size) continue;
    const before = block.count;
    const eventsBefore = events.length;
    const statesBefore = states.length;
    try {
      readings += decoder.decode(frame, out, context);
      if (task.feed) stampServerTime(before, block.count, frame.receivedAt);
    } catch (e) {
      // A frame is stored whole or not at all.
      block.count = before;
      events.length = eventsBefore;
      states.length = statesBefore;
      fail(e instanceof Error ? e.message : String(e), e);
    }
  }
  if (missing.size) {
    block.clear();
    return { block: new Uint8Array(0), readings: 0, events: '', eventCount: 0, states: [], failures: [], missingDevices: [...missing] };
  }
  const encoded = block.encode();
  const result: DecodeResult = {
    block: encoded, readings, events: events.map((e) => JSON.stringify(e)).join('\n'), eventCount: events.length, states, failures, missingDevices: [],
  };
  const transfer: ArrayBufferLike[] = [encoded.buffer];
  if (task.feed) {
    const names = (num: number) => {
      const entry = task.devices?.[num];
      return entry ? { serial: entry.serial, projectId: entry.projectId } : null;
    };
    const f = encodeReadingFeed(block.columns(), serverTimes, { ...task.feed, device: names, now: Date.now() });
    result.feed = f;
    transfer.push(f.records.buffer, f.recordStart.buffer, f.partStart.buffer);
  }
  // Piscina transfers what the returned wrapper lists and hands the value to the caller.
  return move({ [transferableSymbol]: transfer, [valueSymbol]: result } as unknown as Parameters<typeof move>[0]) as unknown as DecodeResult;
}
