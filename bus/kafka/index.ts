/**
 * The bus on Kafka (kafkajs). Producers place a device's messages by its key with the Java-compatible
 * murmur2 partitioner, so both buses agree on partitions. Consumers process fetched batches in slices of
 * `maxBatchMessages` and commit each slice's offset explicitly after the handler resolved (autoCommit
 * off). Back-pressure: `send` resolves only once the brokers acknowledged (acks=-1), and a consumer
 * fetches again only after its handler finished.
 */
import { CompressionTypes, Kafka, Partitioners, logLevel, type Admin, type Consumer, type EachBatchPayload, type IHeaders, type KafkaConfig, type Message, type Producer } from 'kafkajs';
import { recordAt } from '../framed.js';
import type { BatchHandler, Bus, BusConsumer, BusProducer, ConsumerOptions, TopicSpec } from '../types.js';

/** Messages per produce request of framed messages (~130 bytes each: ~650 kB, under the broker's 1 MB default). */
const FRAMED_CHUNK = 5000;

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** kafkajs supports gzip natively; snappy/lz4/zstd need a codec registered with kafkajs. */
  compression?: 'none' | 'gzip';
  /** Consumer group session timeout: how long a dead consumer holds its partitions (kafkajs default 30 s). */
  sessionTimeoutMs?: number;
  /**
   * A fetch waits until this many bytes are there or `fetchMaxWaitMs` passed (defaults 1 MB, 250 ms):
   * batches of a few hundred frames rather than a few, so ClickHouse gets fewer, larger parts (small
   * parts cost more in background merges than in the insert itself).
   */
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  /** Replication factor used when this bus creates topics. */
  replicationFactor?: number;
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
}

export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private readonly open = new Set<{ disconnect(): Promise<void> }>();

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({ logLevel: logLevel.ERROR, ...options.kafka, brokers: options.brokers, clientId: options.clientId ?? 'hes' });
  }

  /** Creates the topics that do not exist yet through the admin API. */
  async createTopics(topics: TopicSpec[]): Promise<void> {
    const admin = await this.adminClient();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: this.options.replicationFactor ?? -1 })),
    });
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = await this.adminClient();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const n = topics[0]?.partitions.length ?? 0;
    if (n === 0) throw new Error(`Kafka topic ${topic} does not exist`);
    return n;
  }

  async producer(): Promise<BusProducer> {
    const producer: Producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    this.open.add(producer);
    const compression = this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    return {
      send: async (topic, messages) => {
        await producer.send({
          topic,
          acks: -1,
          compression,
          messages: messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp === undefined ? undefined : String(m.timestamp), ...(m.headers ? { headers: m.headers } : {}) })),
        });
      },
      sendFramed: async (topic, framed) => {
        const { partStart } = framed;
        for (let p = 0; p < partStart.length - 1; p++) {
          // Requests of at most FRAMED_CHUNK messages: a partition's record batch stays under the broker's 1 MB.
          for (let start = partStart[p]!; start < partStart[p + 1]!; start += FRAMED_CHUNK) {
            const end = Math.min(partStart[p + 1]!, start + FRAMED_CHUNK);
            const messages: Message[] = new Array(end - start);
            for (let i = start; i < end; i++) {
              const r = recordAt(framed, i);
              messages[i - start] = { key: r.key, value: r.value, partition: p, timestamp: String(r.timestamp) };
            }
            await producer.send({ topic, acks: -1, compression, messages });
          }
        }
      },
      close: async () => {
        this.open.delete(producer);
        await producer.disconnect();
      },
    };
  }

  async consumer(options: ConsumerOptions): Promise<BusConsumer> {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 4 << 20,
      maxBytes: 32 << 20,
      minBytes: this.options.fetchMinBytes ?? 1 << 20,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 250,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 5)),
    });
    await consumer.connect();
    for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: true });
    this.open.add(consumer);
    return new KafkaConsumer(consumer, options, await this.adminClient(), () => this.open.delete(consumer));
  }

  async close(): Promise<void> {
    for (const c of [...this.open]) await c.disconnect();
    this.open.clear();
    await this.admin?.disconnect();
    this.admin = undefined;
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }
}

/** The trace context of a consumed record's headers (the only headers the HES sets), as text. */
function traceHeaders(headers: IHeaders | undefined): { headers?: Record<string, string> } {
  const parent = headers?.traceparent;
  if (parent === undefined) return {};
  const out: Record<string, string> = { traceparent: String(parent) };
  if (headers!.tracestate !== undefined) out.tracestate = String(headers!.tracestate);
  return { headers: out };
}

class KafkaConsumer implements BusConsumer {
  private finish: ((e?: unknown) => void) | undefined;
  private stopping = false;
  /** The batch being handled and committed; stop() lets it complete so a handled slice is never left uncommitted. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly consumer: Consumer,
    private readonly options: ConsumerOptions,
    private readonly admin: Admin,
    private readonly onClose: () => void,
  ) {}

  async run(handler: BatchHandler): Promise<void> {
    const slice = this.options.maxBatchMessages ?? 500;
    const done = new Promise<void>((resolve, reject) => {
      this.finish = (e?: unknown) => (e === undefined ? resolve() : reject(e));
    });
    let failed = false;
    // kafkajs restarts a consumer after a retriable error itself; after any other (a group protocol error during
    // a rebalance) it disconnects for good and only says so in this event: the run fails, so that its owner
    // (the pipeline's restart loop) starts a new consumer instead of waiting for ever.
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !this.stopping) void this.shutdown(payload.error);
    });
    const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
      const all = batch.messages;
      for (let i = 0; i < all.length && !failed && !this.stopping && isRunning() && !isStale(); i += slice) {
        const part = all.slice(i, i + slice);
        const messages = part.map((m) => ({ key: m.key ?? null, value: m.value ?? Buffer.alloc(0), timestamp: Number(m.timestamp), offset: Number(m.offset), ...traceHeaders(m.headers) }));
        try {
          await handler({ topic: batch.topic, partition: batch.partition, messages, highWatermark: Number(batch.highWatermark) });
        } catch (e) {
          failed = true;
          this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
          void this.shutdown(e);
          return;
        }
        const last = part[part.length - 1]!.offset;
        resolveOffset(last);
        await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
        await heartbeat();
      }
    };
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatch: async (payload) => {
        let settle!: () => void;
        const tracked = new Promise<void>((r) => (settle = r));
        this.inFlight.add(tracked);
        try {
          await eachBatch(payload);
        } finally {
          this.inFlight.delete(tracked);
          settle();
        }
      },
    });
    return done;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
    await this.shutdown();
  }

  async lag(): Promise<number> {
    let lag = 0;
    for (const topic of this.options.topics) {
      const [ends, committed] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] })]);
      const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
      for (const e of ends) {
        const c = done.get(e.partition) ?? -1;
        lag += Number(e.high) - (c < 0 ? Number(e.low) : c);
      }
    }
    return lag;
  }

  private async shutdown(error?: unknown): Promise<void> {
    const finish = this.finish;
    this.finish = undefined;
    await this.consumer.disconnect();
    this.onClose();
    finish?.(error);
  }
}
