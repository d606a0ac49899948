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
import { FrameDecoder } from './decode-frame.js';
import { ReadingsBlock } from './readings-block.js';

export interface DecodeTask {
  /** Message values back to back; `bounds[2i]..bounds[2i+1]` is message i. */
  buffer: ArrayBuffer;
  bounds: Uint32Array;
  /** Writer schemas by id, for every schema id in the batch. */
  writerSchemas: Record<number, string>;
  collectedAtSec: number;
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
  failures: DecodeFailure[];
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

export default function decodeBatch(task: DecodeTask): DecodeResult {
  const block = new ReadingsBlock(Math.max(1024, (task.bounds.length / 2) * 384));
  const failures: DecodeFailure[] = [];
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
    try {
      readings += decoder.decode(frame, block, task.collectedAtSec);
    } catch (e) {
      block.count = before; // drop the partial frame: a frame is stored whole or not at all
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
  const result: DecodeResult = { block: encoded, readings, failures };
  // Piscina transfers what the returned wrapper lists and hands the value to the caller.
  return move({ [transferableSymbol]: [encoded.buffer], [valueSymbol]: result } as unknown as Parameters<typeof move>[0]) as unknown as DecodeResult;
}
