/**
 * Piscina task: one batch of bus messages (Confluent-framed RawFrame records) → one Native block of
 * readings, the events and state changes, plus the failures. Each frame goes to the decoder of its
 * `protocol` (workers/decoders.ts). Messages arrive packed in one transferred ArrayBuffer; the block goes
 * back transferred. A bad message never throws out of the task: it is reported for the dead-letter topic.
 */
import avsc from 'avsc';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { isCodedError, type DecodeOutput, type DeviceContext, type EventRow, type StateChange } from '../decoders/protocol-decoder.js';
import { avroType, type RawFrame } from '../schemas/avro/index.js';
import { wireSchemaId } from '../schemas/registry/wire.js';
import { Decoders } from './decoders.js';
import { ReadingsBlock, type ReadingColumns } from './readings-block.js';
import type { FramedMessages } from '../bus/framed.js';
import { encodeReadingFeed } from './reading-messages.js';
import { ContextReceiver } from './thread-contexts.js';

export interface DecodeTask {
  /** Message values back to back; `bounds[2i]..bounds[2i+1]` is message i. */
  buffer: ArrayBuffer;
  bounds: Uint32Array;
  /** Writer schemas by id, for every schema id in the batch. */
  writerSchemas: Record<number, string>;
  collectedAtSec: number;
  /**
   * When set, the readings also come back as `hes.readings` messages with this schema id, framed for the
   * feed topic's partitions; device serial and project from the devices' contexts (the pipeline gives every
   * device of the batch one when it has a source; without, the names go out empty).
   */
  feed?: { schemaId: number; partitions: number };
  /** When set, the readings also come back as columns (copies, transferred): streaming validation reads them. */
  columns?: boolean;
  /**
   * The generation of each device's registry context the frames are decoded with, pairwise (device number,
   * generation): the contexts themselves reach the thread by the pool's broadcast (thread-contexts.ts).
   */
  generations: Float64Array;
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
  /** Records the frames carried that their profiles do not map, by protocol (frames stored only). */
  unmapped: Record<string, number>;
  /** With `feed`: one message per reading, framed for the bus, by partition. */
  feed?: FramedMessages;
  /** With `columns`: the block's columns. */
  columns?: ReadingColumns;
  /**
   * Devices whose frames need a context the task did not carry. Non-empty: the result is incomplete and
   * is to be discarded; the pipeline loads these contexts and runs the batch again.
   */
  missingDevices: number[];
}

const reader = avroType('raw-frame');
const resolvers = new Map<number, avsc.Resolver | null>();
const decoders = new Decoders();
const contexts = new ContextReceiver((workerData as { contextChannel: string }).contextChannel);

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

/**
 * The task's device contexts: `get` gives the generation the task names as this thread holds it (undefined:
 * not here); `lacks` tells a device the task names a context for that this thread does not hold.
 */
function deviceContexts(task: DecodeTask): { get(num: number): DeviceContext | null | undefined; lacks(num: number): boolean } {
  contexts.drain();
  const generation = new Map<number, number>();
  const g = task.generations;
  for (let i = 0; i < g.length; i += 2) generation.set(g[i]!, g[i + 1]!);
  const get = (num: number): DeviceContext | null | undefined => {
    const wanted = generation.get(num);
    return wanted === undefined ? undefined : contexts.get(num, wanted);
  };
  return { get, lacks: (num) => generation.has(num) && get(num) === undefined };
}

export default function decodeBatch(task: DecodeTask): DecodeResult {
  const block = emptyBlock(task.buffer.byteLength);
  const failures: DecodeFailure[] = [];
  const events: EventRow[] = [];
  const states: StateChange[] = [];
  const out: DecodeOutput = { readings: block, events, states, collectedAtSec: task.collectedAtSec, unmapped: 0 };
  const unmapped: Record<string, number> = {};
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
      context = device.get(frame.deviceId);
      if (context === undefined) missing.add(frame.deviceId);
    } else if (task.feed && device.lacks(frame.deviceId)) {
      // The feed names the device: a context sent but not yet here is as missing as one the decoder needs.
      missing.add(frame.deviceId);
    }
    // Once a context is missing the batch runs again: only the other missing devices are worth finding.
    if (missing.size) continue;
    const before = block.count;
    const eventsBefore = events.length;
    const statesBefore = states.length;
    out.unmapped = 0;
    try {
      readings += decoder.decode(frame, out, context);
      if (task.feed) stampServerTime(before, block.count, frame.receivedAt);
      if (out.unmapped) unmapped[protocol] = (unmapped[protocol] ?? 0) + out.unmapped;
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
    return { block: new Uint8Array(0), readings: 0, events: '', eventCount: 0, states: [], failures: [], unmapped: {}, missingDevices: [...missing] };
  }
  const encoded = block.encode();
  const result: DecodeResult = {
    block: encoded, readings, events: events.map((e) => JSON.stringify(e)).join('\n'), eventCount: events.length, states, failures, unmapped, missingDevices: [],
  };
  const transfer: ArrayBufferLike[] = [encoded.buffer];
  if (task.feed) {
    const names = (num: number) => {
      const c = device.get(num);
      return c ? { serial: c.serial, projectId: c.projectId } : null;
    };
    const f = encodeReadingFeed(block.columns(), serverTimes, { ...task.feed, device: names, now: Date.now() });
    result.feed = f;
    transfer.push(f.records.buffer, f.recordStart.buffer, f.partStart.buffer);
  }
  if (task.columns) {
    const c = block.columns();
    const text = (t: ReadingColumns['archive']) => ({ ids: t.ids.slice(), values: [...t.values] });
    const copy: ReadingColumns = {
      count: c.count, deviceId: c.deviceId.slice(), raw: c.raw.slice(), ts: c.ts.slice(), scaler: c.scaler.slice(), tariff: c.tariff.slice(),
      quality: c.quality.slice(), deviceStatus: c.deviceStatus.slice(), deviceTz: c.deviceTz.slice(), collectedAt: c.collectedAt.slice(),
      archive: text(c.archive), obis: text(c.obis), readingType: text(c.readingType), unit: text(c.unit), source: text(c.source),
    };
    result.columns = copy;
    for (const a of [copy.deviceId, copy.raw, copy.ts, copy.scaler, copy.tariff, copy.quality, copy.deviceStatus, copy.deviceTz, copy.collectedAt, copy.archive.ids, copy.obis.ids, copy.readingType.ids, copy.unit.ids, copy.source.ids]) transfer.push(a.buffer);
  }
  // Piscina transfers what the returned wrapper lists and hands the value to the caller.
  return move({ [transferableSymbol]: transfer, [valueSymbol]: result } as unknown as Parameters<typeof move>[0]) as unknown as DecodeResult;
}
