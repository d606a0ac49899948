/**
 * The data plane between bus and ClickHouse: consume raw frames by batch, decode them in the pool (each
 * frame by the decoder of its protocol), insert the readings as one Native block (and events into
 * `events`), hand state changes to the registry, send undecodable frames to the dead-letter topic, and
 * only then let the bus commit. Each insert carries a deduplication token
 * made of the batch's offset range, so a batch replayed after a crash (stored, not yet committed) is
 * dropped by ClickHouse; the tables' ReplacingMergeTree keys collapse whatever else arrives twice
 * (re-reads of the same interval).
 */
import { deviceKey, type Batch, type Bus, type BusConsumer, type BusProducer, type ConsumedMessage } from '../bus/types.js';
import { AvroSerde, wireSchemaId, type SchemaStore } from '../schemas/registry/index.js';
import { Topics, type DeadLetter, type DeviceEvent, type Reading } from '../schemas/avro/index.js';
import type { ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import type { DeviceContext, EventRow, StateChange } from '../decoders/protocol-decoder.js';
import { deviceEventOf } from './event-messages.js';
import { endDeviceEventsMessage } from '../schemas/cim/end-device-event-types.js';
import type { DecoderPool, DecodeExtras } from './pool.js';
import { PipelineMetrics } from './metrics.js';
import type { ReadingColumns } from './readings-block.js';
import { batchContext, inSpan, SpanKind, tracing } from '../telemetry/index.js';

const DEFAULT_BATCH_FRAMES = 2600;

export interface PipelineOptions {
  bus: Bus;
  engine: ClickHouseEngine;
  schemas: SchemaStore;
  pool: DecoderPool;
  metrics?: PipelineMetrics;
  groupId?: string;
  /**
   * Frames per decode task and insert (default 2600: daily 15-minute profiles × 4 registers ≈ 1M readings,
   * one ClickHouse part per insert; smaller parts cost more in background merges than in the insert).
   */
  maxBatchFrames?: number;
  /** Partitions processed at once (decode of one overlaps the insert of another). */
  concurrency?: number;
  /**
   * Publish every stored reading to `hes.readings` (Avro, reading.avsc) for MDM consumers, after the
   * ClickHouse insert and before the commit: at least once (a batch replayed after a crash is published
   * again). The decoder threads encode and frame the messages; the main thread hands them to the bus.
   * With `devices`, each reading carries its device's serial and project. Default off.
   */
  publishReadings?: boolean;
  /**
   * Told the events of each batch once the batch is stored (before its offsets are committed, so a batch
   * replayed after a crash tells them again). It must only queue them (the notifier): the batch waits for it.
   */
  onEventsStored?: (events: EventRow[]) => void;
  /**
   * Publish every stored event (journal entries, alarms) to `hes.events` (Avro, device-event.avsc) after its
   * insert and before the commit: at least once. Default on (events are few).
   */
  publishEvents?: boolean;
  /**
   * Also publish every stored event to `hes.cim.events` as the JSON EventMessage `created EndDeviceEvents`
   * (docs/cim.md), keyed by device like `hes.events`, at least once; the device's mRID and serial come from
   * `devices` (empty when the registry does not know it). Default off.
   */
  publishCimEvents?: boolean;
  /**
   * Validates each batch's readings once they are stored, before the commit (sinks/vee/streaming.ts): the
   * decoder threads then also return the block's columns.
   */
  validator?: { validate(columns: ReadingColumns): Promise<void> };
  /** Called after a batch is stored and before its offsets are committed. */
  afterStore?: (batch: Batch, token: string) => void | Promise<void>;
  /**
   * The registry's contexts of devices whose frames need one (pushes: the device profile, keys). Without
   * it such frames are dead-lettered for want of a device context.
   */
  devices?: DeviceContextSource;
  /** Where state changes go (the registry's state archives), before the commit. */
  states?: (changes: StateChange[]) => Promise<void>;
  /** Told each dead letter's reason ("stage protocol code"), e.g. to log bursts of them. */
  onDeadLetter?: (reason: string) => void;
}

/**
 * Device contexts by device number (`devices.num`), for the decoder pool: loaded per batch for the
 * devices whose frames need one and kept in the source's cache, so a batch of known devices costs no query.
 */
export interface DeviceContextSource {
  /** The context at hand without I/O: null = the registry has none, undefined = not loaded. */
  cached(num: number): DeviceContext | null | undefined;
  /** Loads these devices' contexts (null for a device the registry does not know). */
  load(nums: number[]): Promise<Map<number, DeviceContext | null>>;
  /**
   * Of these devices (a batch's, not at hand), makes those whose context expired at hand again — kept when the
   * registry says nothing changed, else loaded — so the batch decodes in one pass. Optional.
   */
  revalidate?(nums: number[]): Promise<void>;
}

export class Pipeline {
  readonly metrics: PipelineMetrics;
  private consumer: BusConsumer | undefined;
  private producer!: BusProducer;
  private feed: { schemaId: number; partitions: number } | undefined;
  private deadLetterSerde!: AvroSerde<DeadLetter>;
  private eventSerde: AvroSerde<DeviceEvent> | undefined;
  private readonly writerSchemas: Record<number, string> = {};

  constructor(private readonly options: PipelineOptions) {
    this.metrics = options.metrics ?? new PipelineMetrics();
  }

  get batchFrames(): number {
    return this.options.maxBatchFrames ?? DEFAULT_BATCH_FRAMES;
  }

  /** Consumes until `stop()`; rejects when a batch cannot be stored (it stays uncommitted on the bus). */
  async run(): Promise<void> {
    const { bus } = this.options;
    this.deadLetterSerde = await AvroSerde.create<DeadLetter>(this.options.schemas, Topics.deadLetters, 'dead-letter');
    if (this.options.publishEvents !== false) this.eventSerde = await AvroSerde.create<DeviceEvent>(this.options.schemas, Topics.events, 'device-event');
    if (this.options.publishReadings) {
      const schemaId = (await AvroSerde.create<Reading>(this.options.schemas, Topics.readings, 'reading')).id;
      this.feed = { schemaId, partitions: await bus.partitionCount(Topics.readings) };
    }
    this.producer = await bus.producer();
    this.consumer = await bus.consumer({
      groupId: this.options.groupId ?? 'hes-pipeline',
      topics: [Topics.rawFrames],
      maxBatchMessages: this.batchFrames,
      concurrency: this.options.concurrency ?? 2,
    });
    const consumer = this.consumer;
    this.metrics.measureLag = () => consumer.lag();
    try {
      await this.consumer.run((batch) => {
        if (!tracing()) return this.handle(batch);
        // The batch joins the trace of its first traced frame (a launch's) and links to the others'.
        const { parent, links } = batchContext(batch.messages);
        const attributes = { 'messaging.destination.name': batch.topic, 'messaging.destination.partition.id': String(batch.partition), 'messaging.batch.message_count': batch.messages.length };
        return inSpan('pipeline.batch', attributes, () => this.handle(batch), { kind: SpanKind.CONSUMER, links, ...(parent ? { parent } : {}) });
      });
    } finally {
      await this.producer.close();
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  private async handle(batch: Batch): Promise<void> {
    const { messages } = batch;
    const m = this.metrics;
    const stopBatch = m.batchSeconds.startTimer();
    m.framesIn.inc(messages.length);
    m.batchFrames.observe(messages.length);
    await this.loadWriterSchemas(messages.map((x) => x.value));
    const result = await inSpan('pipeline.decode', { 'messaging.batch.message_count': messages.length }, () => this.decode(messages));
    const first = messages[0]!.offset;
    const last = messages[messages.length - 1]!.offset;
    const token = `${batch.topic}/${batch.partition}/${first}-${last}`;
    if (result.readings > 0) {
      const stopTimer = m.insertSeconds.startTimer();
      await inSpan('clickhouse.insert', { 'db.system': 'clickhouse', 'db.collection.name': 'readings', 'hes.readings': result.readings }, () => this.options.engine.insertNative('readings', result.block, { insert_deduplication_token: token, optimize_on_insert: 0 }));
      stopTimer();
      // validated before counted as stored: the pipeline benchmark's clock includes validation
      if (this.options.validator && result.columns) await this.options.validator.validate(result.columns);
      m.readingsOut.inc(result.readings);
      m.batchReadings.observe(result.readings);
    }
    const events = result.eventCount > 0 ? result.events.split('\n').map((line) => JSON.parse(line) as EventRow) : [];
    if (result.eventCount > 0) {
      // Journal entries are few: JSON rows, deduplicated by the same token (tokens are kept per table).
      await this.options.engine.exec(`INSERT INTO events SETTINGS insert_deduplication_token = '${token}' FORMAT JSONEachRow\n${result.events}`);
      m.eventsOut.inc(result.eventCount);
      const serde = this.eventSerde;
      if (serde) {
        await this.producer.send(Topics.events, events.map((row) => {
          const e = deviceEventOf(row);
          return { key: deviceKey(e.deviceId), value: serde.encode(e), timestamp: e.timestamp };
        }));
      }
      if (this.options.publishCimEvents) await this.publishCimEvents(events);
    }
    if (result.states.length && this.options.states) await this.options.states(result.states);
    for (const [protocol, n] of Object.entries(result.unmapped)) m.unmappedRecords.inc({ protocol }, n);
    if (result.feed) {
      await this.producer.sendFramed(Topics.readings, result.feed);
      this.metrics.readingsPublished.inc(result.feed.recordStart.length - 1);
    }
    if (result.failures.length) {
      const now = Date.now();
      await this.producer.send(
        Topics.deadLetters,
        result.failures.map((f) => {
          const original = messages[f.index]!;
          m.decodeErrors.inc({ stage: f.stage, protocol: f.protocol ?? '', code: f.errorCode ?? '' });
          this.options.onDeadLetter?.([f.stage, f.protocol, f.errorCode].filter(Boolean).join(' '));
          return {
            key: original.key,
            value: this.deadLetterSerde.encode({
              topic: batch.topic,
              partition: batch.partition,
              offset: original.offset,
              key: original.key,
              message: original.value,
              stage: f.stage,
              reason: f.reason,
              errorCode: f.errorCode,
              errorOffset: f.errorOffset,
              failedAt: now,
              deviceId: f.deviceId,
              protocol: f.protocol,
            }),
          };
        }),
      );
    }
    if (result.eventCount > 0 && this.options.onEventsStored) this.options.onEventsStored(events);
    await this.options.afterStore?.(batch, token);
    stopBatch();
  }

  /** The batch's events on `hes.cim.events`, their devices named from the context source (loaded if not at hand). */
  private async publishCimEvents(events: EventRow[]): Promise<void> {
    const source = this.options.devices;
    const contexts = new Map<number, DeviceContext | null | undefined>();
    for (const e of events) if (!contexts.has(e.device_id)) contexts.set(e.device_id, source?.cached(e.device_id));
    const absent = [...contexts].filter(([, c]) => c === undefined).map(([n]) => n);
    if (source && absent.length) for (const [n, c] of await source.load(absent)) contexts.set(n, c);
    const now = Date.now();
    await this.producer.send(Topics.cimEvents, events.map((row) => {
      const c = contexts.get(row.device_id);
      // The stored event's key (ReplacingMergeTree's), so a batch published again carries the same MessageID.
      const id = `hes-event-${row.device_id}-${row.journal}-${row.ts}-${row.code}`;
      const message = endDeviceEventsMessage({
        id, device: { mRID: c?.id ?? '', serialNumber: c?.serial ?? '' },
        event: { journal: row.journal, code: row.code, name: row.name, severity: row.severity || null, time: new Date(row.ts * 1000).toISOString() },
      }, now);
      return { key: deviceKey(row.device_id), value: Buffer.from(JSON.stringify(message)), timestamp: row.ts * 1000 };
    }));
  }

  /**
   * One pool task for the batch, with the cached contexts of its devices; when the pool reports devices
   * whose context it lacked, they are loaded and the batch runs again whole, so what is stored does not
   * depend on what the cache held (and a replayed batch gives the same block).
   */
  private async decode(messages: ConsumedMessage[]) {
    const source = this.options.devices;
    const contexts = new Map<number, DeviceContext | null>();
    const extras: DecodeExtras = { contexts };
    if (this.feed) extras.feed = this.feed;
    if (this.options.validator) extras.columns = true;
    if (source) {
      const absent = new Set<number>();
      let last: Buffer | null = null;
      for (const { key } of messages) {
        if (key === null || key === last) continue;
        last = key;
        const num = Number(key.toString('latin1'));
        if (!Number.isSafeInteger(num) || contexts.has(num)) continue;
        const c = source.cached(num);
        if (c !== undefined) contexts.set(num, c);
        else absent.add(num);
      }
      if (absent.size && source.revalidate) {
        await source.revalidate([...absent]);
        for (const num of absent) {
          const c = source.cached(num);
          if (c === undefined) continue;
          contexts.set(num, c);
          absent.delete(num);
        }
      }
      // The feed names every reading's device (serial, project): contexts still absent are loaded before the decode.
      if (this.feed && absent.size) {
        const loaded = await source.load([...absent]);
        for (const num of absent) contexts.set(num, loaded.get(num) ?? null);
      }
    }
    const values = messages.map((x) => x.value);
    // The batch's last bus timestamp, not the clock: a batch replayed after a crash then gives the same
    // rows, so the copies it publishes again equal what ClickHouse kept of the first insert.
    let lastAppended = 0;
    for (const m of messages) if (m.timestamp > lastAppended) lastAppended = m.timestamp;
    const collectedAtSec = Math.floor(lastAppended / 1000);
    let result = await this.options.pool.decode(values, this.writerSchemas, collectedAtSec, extras);
    if (result.missingDevices.length) {
      const loaded = source ? await source.load(result.missingDevices) : new Map<number, DeviceContext | null>();
      for (const num of result.missingDevices) contexts.set(num, loaded.get(num) ?? null);
      result = await this.options.pool.decode(values, this.writerSchemas, collectedAtSec, extras);
      if (result.missingDevices.length) throw new Error(`the decoder pool still lacks the contexts of devices ${result.missingDevices.join(', ')}`);
    }
    return result;
  }

  private async loadWriterSchemas(values: Buffer[]): Promise<void> {
    for (const v of values) {
      if (v.length < 5 || v[0] !== 0) continue;
      const id = wireSchemaId(v);
      if (this.writerSchemas[id] === undefined) {
        try {
          this.writerSchemas[id] = await this.options.schemas.schema(id);
        } catch {
          // unknown id: the worker reports the message as an envelope failure
        }
      }
    }
  }
}
