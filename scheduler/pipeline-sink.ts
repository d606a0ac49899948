/**
 * The ReadingSink of the running HES: the raw frames of an item (measurement archives, event journals)
 * go to the bus topic `hes.frames.raw` keyed by the device's number, where the decoder pool and the
 * ClickHouse sink take them (workers/pipeline.ts); state values go to the registry, stored only when they
 * change (scheduler/states.ts). `write` resolves once the bus holds the frames durably, so a launch counts
 * a device as read only when its data cannot be lost any more.
 */
import { randomUUID } from 'node:crypto';
import { deviceKey, type Bus, type BusProducer } from '../bus/types.js';
import type { RawFrame as ReceivedFrame, RawFrameSink } from '../ingest/transport/frames.js';
import type { Db } from '../registry/db.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { AvroSerde, type SchemaStore } from '../schemas/registry/index.js';
import type { CollectedFrame, CollectedRecord, CollectItem, DeviceTarget, ReadingSink } from './reader.js';
import { saveStates } from './states.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    await this.producer.send(Topics.rawFrames, frames.map((f) => ({
      key,
      value: this.serde.encode({
        frameId: f.frameId, wire: Buffer.from(f.apdu.buffer, f.apdu.byteOffset, f.apdu.byteLength), framing: 'APDU', direction: 'UPLINK',
        deviceId: device.num, commLineId: null, connector: 'tcp', receivedAt: f.receivedAt, sessionId: f.sessionId, context: f.context,
      }),
      timestamp: f.receivedAt,
    })));
  }

  /**
   * Frames meters send outside a HES session (CENC pushes: DataNotification, EventNotification) to the same
   * topic, with their framing and no decoding context (none is known for a push yet: the pool keeps them
   * on its dead-letter path with that reason). A push of no known device (an unbound port, a device deleted
   * meanwhile) goes with no device id and no key: dead-lettered too, never dropped.
   */
  unsolicited(onError: (e: unknown) => void): RawFrameSink {
    const nums = new Map<string, number>();
    const numOf = async (deviceId: string): Promise<number | undefined> => {
      const known = nums.get(deviceId);
      if (known !== undefined || !UUID.test(deviceId)) return known;
      const num = (await this.db.query<{ num: string }>('SELECT num FROM devices WHERE id = $1', [deviceId])).rows[0]?.num;
      if (num === undefined) return undefined;
      if (nums.size >= 100_000) nums.clear();
      nums.set(deviceId, Number(num));
      return Number(num);
    };
    const send = async (f: ReceivedFrame): Promise<void> => {
      const num = f.deviceId === undefined ? undefined : await numOf(f.deviceId);
      await this.producer.send(Topics.rawFrames, [{
        key: num === undefined ? null : deviceKey(num),
        value: this.serde.encode({
          frameId: randomUUID(), wire: Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength), framing: f.framing === 'hdlc' ? 'HDLC' : 'WRAPPER',
          direction: f.direction === 'rx' ? 'UPLINK' : 'DOWNLINK', deviceId: num ?? null, commLineId: null, connector: 'cenc', receivedAt: f.receivedAt, sessionId: null, context: null,
        }),
        timestamp: f.receivedAt,
      }]);
    };
    return { publish: (f) => void send(f).catch(onError) };
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
