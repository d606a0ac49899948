/**
 * The ReadingSink of the running HES: the raw frames of an item (measurement archives, event journals)
 * go to the bus topic `hes.frames.raw` keyed by the device's number, where the decoder pool and the
 * ClickHouse sink take them (workers/pipeline.ts); state values go to the registry, stored only when they
 * change (scheduler/states.ts). `write` resolves once the bus holds the frames durably, so a launch counts
 * a device as read only when its data cannot be lost any more.
 */
import { randomUUID } from 'node:crypto';
import { deviceKey, type Bus, type BusMessage, type BusProducer } from '../bus/types.js';
import type { RawFrame as ReceivedFrame, RawFrameSink } from '../ingest/transport/frames.js';
import { isUuid, type Db } from '../registry/db.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { AvroSerde, type SchemaStore } from '../schemas/registry/index.js';
import type { CollectedFrame, CollectedRecord, CollectItem, DeviceTarget, ReadingSink, WireFrameTap } from './reader.js';
import { saveStates } from './states.js';
import { traceHeaders } from '../telemetry/index.js';

export class PipelineSink implements ReadingSink {
  private constructor(
    private readonly db: Db,
    private readonly producer: BusProducer,
    private readonly serde: AvroSerde<RawFrame>,
    private readonly now: () => number,
  ) {}

  static async create(o: { db: Db; bus: Bus; schemas: SchemaStore; now?: () => number }): Promise<PipelineSink> {
    const serde = await AvroSerde.create<RawFrame>(o.schemas, Topics.rawFrames, 'raw-frame');
    return new PipelineSink(o.db, await o.bus.producer(), serde, o.now ?? Date.now);
  }

  async write(device: DeviceTarget, item: CollectItem, records: CollectedRecord[], frames: CollectedFrame[] = []): Promise<void> {
    if (records.length) {
      // Only states come decoded; measurements and journals travel as raw frames, decoded by the pool.
      if (item.kind !== 'state') throw new Error(`${item.kind} records cannot be stored by the pipeline: a reader must hand over raw frames`);
      await saveStates(this.db, device, item.archive, records, this.now());
    }
    if (!frames.length) return;
    const key = deviceKey(device.num);
    // The session's trace context travels with its frames, so the pipeline's batch joins the launch's trace.
    const headers = traceHeaders();
    await this.producer.send(Topics.rawFrames, frames.map((f) => ({
      key,
      ...(headers ? { headers } : {}),
      value: this.serde.encode({
        frameId: f.frameId, wire: Buffer.from(f.apdu.buffer, f.apdu.byteOffset, f.apdu.byteLength), framing: f.protocol === 'mbus' ? 'MBUS' : 'APDU',
        direction: 'UPLINK', deviceId: device.num, commLineId: null, connector: f.protocol === 'mbus' ? 'mbus-tcp' : 'tcp', receivedAt: f.receivedAt,
        sessionId: f.sessionId, context: f.context, protocol: f.protocol === 'mbus' ? 'mbus' : 'dlms',
      }),
      timestamp: f.receivedAt,
    })));
  }

  /** Frames a connector made whole (the wireless M-Bus intake): sent at once; resolves once the bus holds them. */
  async publish(frames: readonly { key: number; frame: RawFrame }[]): Promise<void> {
    await this.producer.send(Topics.rawFrames, frames.map(({ key, frame }) => ({ key: deviceKey(key), value: this.serde.encode(frame), timestamp: frame.receivedAt })));
  }

  /**
   * Frames meters send outside a HES session (CENC pushes: DataNotification, EventNotification) to the same
   * topic, with their framing and no decoding context: the pool decodes them as the device profile's Push
   * Setups declare (docs/pipeline.md, "Pushes"). A push of no known device (an unbound port, a device deleted
   * meanwhile) goes with no device id and no key: dead-lettered too, never dropped.
   */
  unsolicited(onError: (e: unknown) => void): RawFrameSink {
    const nums = new Map<string, number>();
    const numOf = async (deviceId: string): Promise<number | undefined> => {
      const known = nums.get(deviceId);
      if (known !== undefined || !isUuid(deviceId)) return known;
      const num = (await this.db.query<{ num: string }>('SELECT num FROM devices WHERE id = $1', [deviceId])).rows[0]?.num;
      if (num === undefined) return undefined;
      if (nums.size >= 100_000) nums.clear();
      nums.set(deviceId, Number(num));
      return Number(num);
    };
    const out = this.#batched(Topics.rawFrames, onError);
    return {
      publish: (f) => void (f.deviceId === undefined ? Promise.resolve(undefined) : numOf(f.deviceId))
        .then((num) => out(f, { num: num ?? null, sessionId: null, connector: 'cenc' }))
        .catch(onError),
    };
  }

  /**
   * The wire trace of meter sessions: every frame received (and sent, when asked) to `hes.frames.wire`, for
   * audits and data engineers; the decoder pool does not read that topic (the data frames reach it on
   * `hes.frames.raw` with their decoding context).
   */
  wire(sent: boolean, onError: (e: unknown) => void): WireFrameTap {
    const out = this.#batched(Topics.wireFrames, onError);
    return { sent, publish: (f, meta) => out(f, meta) };
  }

  /** Frames encoded at once and sent once per turn of the event loop (one bus request per batch). */
  #batched(topic: string, onError: (e: unknown) => void): (f: ReceivedFrame, meta: { num: number | null; sessionId: string | null; connector: string }) => void {
    let batch: BusMessage[] = [];
    const flush = (): void => {
      const messages = batch;
      batch = [];
      const sent = this.producer.send(topic, messages).catch(onError);
      this.#pending.add(sent);
      void sent.finally(() => this.#pending.delete(sent));
    };
    return (f, { num, sessionId, connector }) => {
      if (!batch.length) setImmediate(flush);
      batch.push({
        key: num === null ? null : deviceKey(num),
        value: this.serde.encode({
          frameId: randomUUID(), wire: Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength),
          framing: f.framing === 'hdlc' ? 'HDLC' : f.framing === 'mbus' ? 'MBUS' : 'WRAPPER',
          direction: f.direction === 'rx' ? 'UPLINK' : 'DOWNLINK', deviceId: num, commLineId: null, connector, receivedAt: f.receivedAt, sessionId, context: null,
          protocol: f.framing === 'mbus' ? 'mbus' : 'dlms',
        }),
        timestamp: f.receivedAt,
      });
    };
  }

  /** Batches on their way to the bus (waited for at close). */
  readonly #pending = new Set<Promise<unknown>>();

  async close(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // the last turn's batches
    await Promise.all(this.#pending);
    await this.producer.close();
  }
}
