/**
 * `hes sim-lorawan` as a tester runs it: a child process publishing ChirpStack v4 uplink events for its meters
 * to Mosquitto, each a valid uplink event with an OBIS-TLV payload, the DevEUIs written to the devices file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { parseUplink } from '../ingest/chirpstack/uplink.js';
import { decodeObisTlv } from '../decoders/lorawan/obis-tlv.js';
import { spawnHes, type HesProcess } from './hes-process.js';

const dir = mkdtempSync(join(tmpdir(), 'hes-sim-lorawan-'));
let sim: HesProcess | undefined;
after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('publishes one uplink per meter per round on the application\'s topics', async () => {
  const application = randomUUID();
  const prefix = `hes-test/sim-lorawan-${randomUUID().slice(0, 8)}/`;
  const listener = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
  const got: { topic: string; body: unknown }[] = [];
  let all: () => void = () => {};
  const three = new Promise<void>((r) => (all = r));
  listener.on('message', (topic, payload) => {
    got.push({ topic, body: JSON.parse(payload.toString()) });
    if (got.length === 3) all();
  });
  await listener.subscribeAsync(`${prefix}application/${application}/device/+/event/up`, { qos: 1 });
  try {
    const devices = join(dir, 'meters.csv');
    sim = spawnHes(['sim-lorawan', '--application', application, '--meters', '3', '--mqtt', 'mqtt://127.0.0.1:1883', '--topic-prefix', prefix, '--devices', devices, '--interval', '3600']);
    await three;
    const devEuis = readFileSync(devices, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]!);
    assert.equal(devEuis.length, 3);
    const uplinks = got.map((g) => ({ topic: g.topic, u: parseUplink(g.body, 'payload') }));
    assert.deepEqual(uplinks.map((x) => x.u.devEui).sort(), [...devEuis].sort());
    for (const { topic, u } of uplinks) {
      assert.equal(topic, `${prefix}application/${application}/device/${u.devEui.toLowerCase()}/event/up`);
      assert.deepEqual([u.applicationId, u.fPort], [application, 2]);
      assert.equal(decodeObisTlv(u.payload).registers[0]!.obis, '1.0.1.8.0.255');
    }
  } finally {
    await listener.endAsync();
  }
});
