/** The pipeline sink's paths for frames: pushes to the raw-frame topic, the sessions' wire trace to its own topic (embedded bus, PGlite registry). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { deviceKey } from '../bus/types.js';
import { createDevice, createProject } from '../registry/project-data.js';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { AvroSerde, LocalSchemaStore } from '../schemas/registry/index.js';
import { PipelineSink } from './pipeline-sink.js';

interface Setup {
  t: TestDb;
  sink: PipelineSink;
  /** The first `count` messages of `topic`, decoded, with their keys. */
  consume(topic: string, count: number): Promise<{ key: Buffer | null; frame: RawFrame }[]>;
}

async function withSink(fn: (x: Setup) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-sink-'));
  const t = await openTestDb('pglite');
  const bus = new EmbeddedBus({ dir: join(dir, 'bus'), defaultPartitions: 1 });
  try {
    const schemas = new LocalSchemaStore(join(dir, 'schemas.json'));
    const sink = await PipelineSink.create({ db: t.db, bus, schemas });
    const consume = async (topic: string, count: number) => {
      const serde = await AvroSerde.create<RawFrame>(schemas, topic, 'raw-frame');
      const consumer = await bus.consumer({ groupId: 'test', topics: [topic] });
      const got: { key: Buffer | null; frame: RawFrame }[] = [];
      await consumer.run(async (b) => {
        for (const m of b.messages) got.push({ key: m.key, frame: serde.decodeSync(m.value) });
        if (got.length >= count) await consumer.stop();
      });
      return got;
    };
    await fn({ t, sink, consume });
  } finally {
    await bus.close();
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('pushes go to the raw-frame topic keyed by the device number, with their framing and no decoding context; a push of no known device goes without one', () =>
  withSink(async ({ t, sink, consume }) => {
    const projectId = String((await createProject(t.db, { name: 'Push' }, null)).id);
    const device = await createDevice(t.db, projectId, { serialNumber: '30800001', type: 'CE308' });
    const num = Number((await t.db.query<{ num: string }>('SELECT num FROM devices WHERE id = $1', [device.id])).rows[0]!.num);
    const errors: unknown[] = [];
    const pushes = sink.unsolicited((e) => errors.push(e));
    const wpdu = Uint8Array.of(0, 1, 0, 1, 0, 0x66, 0, 3, 0x0f, 0, 0);
    const frame = { direction: 'rx', framing: 'wrapper', kind: 'unsolicited', remote: 'tcp:10.0.0.9:5000', channel: 'cenc:4059', receivedAt: 1_700_000_000_000 } as const;
    pushes.publish({ ...frame, bytes: wpdu, deviceId: String(device.id), projectId });
    pushes.publish({ ...frame, bytes: Uint8Array.of(1), deviceId: '00000000-0000-0000-0000-000000000000' }); // deleted meanwhile
    pushes.publish({ ...frame, bytes: Uint8Array.of(2) }); // from an unbound port: no device
    pushes.publish({ ...frame, bytes: Uint8Array.of(0x7e, 0xa0, 0x7e), framing: 'hdlc', deviceId: String(device.id) });

    const got = await consume(Topics.rawFrames, 4);
    assert.deepEqual(errors, []);
    assert.equal(got.length, 4);
    const orphans = got.filter((g) => g.frame.deviceId === null);
    // the decoder pool dead-letters these ("frame has no device id") with the whole message: nothing is lost
    assert.deepEqual(orphans.map((g) => [g.key, [...g.frame.wire]]).sort((a, b) => Number(a[1]) - Number(b[1])), [[null, [1]], [null, [2]]]);
    for (const g of got.filter((x) => x.frame.deviceId !== null)) assert.deepEqual(g.key, deviceKey(num));
    // each push is sent once its device number is known: in any order
    const first = got.find((g) => g.frame.framing === 'WRAPPER' && g.frame.deviceId !== null)?.frame;
    const second = got.find((g) => g.frame.framing === 'HDLC')?.frame;
    assert.deepEqual(
      { ...first!, frameId: typeof first!.frameId, wire: [...first!.wire] },
      { frameId: 'string', wire: [...wpdu], framing: 'WRAPPER', direction: 'UPLINK', deviceId: num, commLineId: null, connector: 'cenc', receivedAt: frame.receivedAt, sessionId: null, context: null, protocol: 'dlms', meta: {} },
    );
    assert.deepEqual([...second!.wire], [0x7e, 0xa0, 0x7e]);
    assert.notEqual(first!.frameId, second!.frameId);
    await sink.close();
  }));

test('the wire trace of sessions goes to hes.frames.wire in batches, with session, connector and direction', () =>
  withSink(async ({ sink, consume }) => {
    const errors: unknown[] = [];
    const tap = sink.wire(true, (e) => errors.push(e));
    assert.equal(tap.sent, true);
    const base = { framing: 'hdlc', kind: 'session', remote: '10.0.0.9:4059', receivedAt: 1_700_000_000_000 } as const;
    for (let i = 0; i < 5; i++) tap.publish({ ...base, direction: i % 2 ? 'tx' : 'rx', bytes: Uint8Array.of(0x7e, i, 0x7e) }, { num: 42, sessionId: 's-1', connector: 'tcp' });
    await sink.close(); // waits for the batch
    const got = (await consume(Topics.wireFrames, 5)).map((g) => g.frame);
    assert.deepEqual(errors, []);
    assert.deepEqual(got.map((f) => [f.wire[1], f.direction, f.framing, f.deviceId, f.sessionId, f.connector, f.context]), [0, 1, 2, 3, 4].map((i) => [i, i % 2 ? 'DOWNLINK' : 'UPLINK', 'HDLC', 42, 's-1', 'tcp', null]));
  }));
