/**
 * Piscina task: one batch of bus messages (Confluent-framed RawFrame records) → one Native block of
 * readings plus the failures. Messages arrive packed in one transferred ArrayBuffer; the block goes back
 * transferred. A bad message never throws out of the task: it is reported for the dead-letter topic.
 */
import avsc from 'avsc';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { isDlmsError } from '../decoders/dlms/errors.js';
import { avroType, type RawFrame } from '../schemas/avro/index.js';
import { wireSchemaId } from '../schemas/registry/index.js';
import { FrameDecoder, type EventRow } from './decode-frame.js';
import { ReadingsBlock } from './readings-block.js';
import { encodeReadingMessages, type ReadingMessages } from './reading-messages.js';

export interface DecodeTask {
  /** Message values back to back; `bounds[2i]..bounds[2i+1]` is message i. */
  buffer: ArrayBuffer;
  bounds: Uint32Array;
  /** Writer schemas by id, for every schema id in the batch. */
  writerSchemas: Record<number, string>;
  collectedAtSec: number;
  /** When set, the readings also come back as `hes.readings` messages with this schema id. */
  readingsSchemaId?: number;
}

export interface DecodeFailure {
  index: number;
  stage: 'envelope' | 'decode';
  reason: string;
  errorCode: string | null;
  errorOffset: number | null;
}

export interface DecodeResult {
  block: Uint8Array;
  readings: number;
  /** Journal entries as JSONEachRow lines for the `events` table ('' when none). */
  events: string;
  eventCount: number;
  failures: DecodeFailure[];
  /** With `readingsSchemaId`: one message per reading, in block order. */
  readingMessages?: ReadingMessages;
}

const reader = avroType('raw-frame');
const resolvers = new Map<number, avsc.Resolver | null>();
const decoder = new FrameDecoder();

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

export default function decodeBatch(task: DecodeTask): DecodeResult {
  const block = emptyBlock(task.buffer.byteLength);
  const failures: DecodeFailure[] = [];
  const events: EventRow[] = [];
  const all = Buffer.from(task.buffer);
  let readings = 0;
  for (let i = 0; i < task.bounds.length / 2; i++) {
    const message = all.subarray(task.bounds[2 * i]!, task.bounds[2 * i + 1]!);
    let frame: RawFrame;
    try {
      frame = readFrame(message, task.writerSchemas);
    } catch (e) {
      failures.push({ index: i, stage: 'envelope', reason: e instanceof Error ? e.message : String(e), errorCode: null, errorOffset: null });
      continue;
    }
    const before = block.count;
    const eventsBefore = events.length;
    try {
      readings += decoder.decode(frame, block, task.collectedAtSec, events);
      if (task.readingsSchemaId !== undefined) stampServerTime(before, block.count, frame.receivedAt);
    } catch (e) {
      block.count = before; // drop the partial frame: a frame is stored whole or not at all
      events.length = eventsBefore;
      failures.push({
        index: i,
        stage: 'decode',
        reason: e instanceof Error ? e.message : String(e),
        errorCode: isDlmsError(e) ? e.code : null,
        errorOffset: isDlmsError(e) && e.offset >= 0 ? e.offset : null,
      });
    }
  }
  const encoded = block.encode();
  const result: DecodeResult = { block: encoded, readings, events: events.map((e) => JSON.stringify(e)).join('\n'), eventCount: events.length, failures };
  const transfer: ArrayBufferLike[] = [encoded.buffer];
  if (task.readingsSchemaId !== undefined) {
    const m = encodeReadingMessages(block.columns(), serverTimes, task.readingsSchemaId);
    result.readingMessages = m;
    transfer.push(m.data.buffer, m.bounds.buffer, m.deviceIds.buffer);
  }
  // Piscina transfers what the returned wrapper lists and hands the value to the caller.
  return move({ [transferableSymbol]: transfer, [valueSymbol]: result } as unknown as Parameters<typeof move>[0]) as unknown as DecodeResult;
}
