/**
 * The bus: topics of keyed messages split into partitions by key, read by consumer groups. Two
 * implementations share these semantics — bus/embedded (a durable log on local disk) and bus/kafka.
 *
 * Delivery: at-least-once. A consumer's offsets move only after its batch handler resolved, i.e. after
 * the sink stored the batch; the sink's idempotent inserts make the end result exactly-once.
 */
import type { FramedMessages } from './framed.js';

export interface BusMessage {
  /** Partitioning key (device id): messages with the same key stay in order in one partition. */
  key: Buffer | null;
  value: Buffer;
  /** Milliseconds since the epoch; the bus sets it when absent. */
  timestamp?: number;
  /** Record headers (the trace context: telemetry/); absent = none, and the record keeps its header-less layout. */
  headers?: Record<string, string>;
}

export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer;
  timestamp: number;
  offset: number;
  headers?: Record<string, string>;
}

export interface Batch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  /** Offset the next appended message will get: `highWatermark - last offset - 1` is the lag. */
  highWatermark: number;
}

/** Handles one batch; the consumer commits `last offset + 1` only after the promise resolves. */
export type BatchHandler = (batch: Batch) => Promise<void>;

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Upper bound of messages per batch. */
  maxBatchMessages?: number;
  /** How many partitions' batches may be in their handler at the same time. */
  concurrency?: number;
}

export interface BusProducer {
  /** Appends messages to `topic`; resolves once they are durable per the bus' policy. */
  send(topic: string, messages: BusMessage[]): Promise<void>;
  /**
   * The same for messages placed and framed off the main thread (bus/framed.ts), partitioned for
   * `topic`'s partition count; in order within each partition.
   */
  sendFramed(topic: string, framed: FramedMessages): Promise<void>;
  close(): Promise<void>;
}

export interface BusConsumer {
  /**
   * Delivers batches until `stop()`; a handler error stops the consumer without committing that batch
   * and rejects the returned promise.
   */
  run(handler: BatchHandler): Promise<void>;
  stop(): Promise<void>;
  /** Messages not yet committed, summed over the assigned partitions. */
  lag(): Promise<number>;
}

export interface Bus {
  createTopics(topics: TopicSpec[]): Promise<void>;
  /** Partitions of `topic` (the embedded bus creates it with its default count on first use). */
  partitionCount(topic: string): Promise<number>;
  producer(): Promise<BusProducer>;
  consumer(options: ConsumerOptions): Promise<BusConsumer>;
  close(): Promise<void>;
}

/** Partition of a key: murmur2 as Kafka's default partitioner, so both buses place a device alike. */
export function partitionOf(key: Buffer | null, partitions: number, roundRobin: number): number {
  if (key === null) return roundRobin % partitions;
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Kafka's murmur2 (seed 0x9747b28c), as used by the Java client and kafkajs' default partitioner. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & 3;
  const t = length - tail;
  if (tail === 3) h ^= (data[t + 2]! & 0xff) << 16;
  if (tail >= 2) h ^= (data[t + 1]! & 0xff) << 8;
  if (tail >= 1) {
    h ^= data[t]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The key of a device's messages: its id as decimal text, so Kafka tools show it readably. */
export function deviceKey(deviceId: number | bigint): Buffer {
  return Buffer.from(String(deviceId));
}
