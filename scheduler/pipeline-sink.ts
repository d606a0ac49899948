/**
 * The ReadingSink of the running HES: the raw frames of an item (measurement archives, event journals)
 * go to the bus topic `hes.frames.raw` keyed by the device's number, where the decoder pool and the
 * ClickHouse sink take them (workers/pipeline.ts); state values go to the registry, stored only when they
 * change (scheduler/states.ts). `write` resolves once the bus holds the frames durably, so a launch counts
 * a device as read only when its data cannot be lost any more.
 */
import { deviceKey, type Bus, type BusProducer } from '../bus/types.js';
import type { Db } from '../registry/db.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { AvroSerde, type SchemaStore } from '../schemas/registry/index.js';
import type { CollectedFrame, CollectedRecord, CollectItem, DeviceTarget, ReadingSink } from './reader.js';
import { saveStates } from './states.js';

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

  close(): Promise<void> {
    return this.producer.close();
  }
}
