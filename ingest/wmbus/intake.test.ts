/**
 * The wireless M-Bus intake with the registry: meters found by their link-layer or TPL address, frames keyed
 * by the device with the project's zone, unknown meters counted and listed until registered, gateways a
 * channel does not admit ignored, bad messages refused naming the field; the MQTT feed through Mosquitto.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { openTestDb, type TestDb } from '../../registry/testing.js';
import { createProject } from '../../registry/project-data.js';
import { listUnknownMeters, UnknownMeters, WmbusDirectory } from '../../registry/wmbus.js';
import { offsetMinutes } from '../../scheduler/schedule.js';
import { MbusFleet } from '../../sim/mbus/meter.js';
import { OMS_MODE7_ADAPTER } from '../../decoders/mbus/fixtures.js';
import type { RawFrame } from '../../schemas/avro/index.js';
import { GatewayMessageError, parseGatewayMessage, WmbusIntake, type GatewayMessage } from './intake.js';
import { WmbusMqttFeed } from './mqtt.js';

const T = Date.UTC(2026, 0, 10, 8, 0);
const fleet = new MbusFleet({ meters: 4 });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('wM-Bus intake', () => {
  let t: TestDb, projectId: string, intake: WmbusIntake, unknown: UnknownMeters;
  const published: { key: number; frame: RawFrame }[] = [];
  const nums: Record<string, number> = {};

  before(async () => {
    t = await openTestDb('pglite');
    projectId = String((await createProject(t.db, { name: 'Water', timeZone: 'Europe/Moscow' }, null)).id);
    const q = async <R>(sql: string, params: unknown[]) => (await t.db.query<R & Record<string, unknown>>(sql, params)).rows[0]!;
    const group = await q<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1', [projectId]);
    const air = await q<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'air', 'WMBUS', '{}') RETURNING id`, [projectId]);
    const north = await q<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'north', 'WMBUS', '{"gateways":"gw-north"}') RETURNING id`, [projectId]);
    const protocol = await q<{ id: string }>(`INSERT INTO protocols (project_id, name, kind) VALUES ($1, 'm-bus', 'MBUS') RETURNING id`, [projectId]);
    const add = async (serial: string, channel: string, address: string) => {
      const d = await q<{ id: string; num: string }>(`INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, $2, 'MBUS', $3) RETURNING id, num`, [projectId, serial, group.id]);
      await t.db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address) VALUES ($1, $2, $3, $4, 'MBUS_WATER', $5)`, [projectId, d.id, channel, protocol.id, address]);
      nums[serial] = Number(d.num);
    };
    await add('m0', air.id, `${fleet.meter(0).id}-HES`);
    await add('m1', north.id, `${fleet.meter(1).id}-hes`);
    await add('gas', air.id, '12345678-ELS');
    unknown = new UnknownMeters(t.db, { flushMs: 60_000 });
    intake = new WmbusIntake({
      directory: new WmbusDirectory(t.db), unknown, offsetMinutes, retentionDays: async () => 365, now: () => T + 60_000,
      publish: async (f) => void published.push(...f),
    });
  });
  after(async () => {
    await unknown.close();
    await t.drop();
  });

  const message = (gateway: string, ...telegrams: Uint8Array[]): GatewayMessage =>
    parseGatewayMessage({ gateway, telegrams: telegrams.map((b) => ({ telegram: hex(b), rssi: -80, time: new Date(T).toISOString() })) }, 'body');

  it('takes telegrams of registered meters (link or TPL address) and counts the others', async () => {
    published.length = 0;
    const r = await intake.accept(projectId, message('gw-south',
      fleet.telegram(0, T), fleet.telegram(1, T), fleet.telegram(2, T), Buffer.from(OMS_MODE7_ADAPTER.hex, 'hex'), fleet.telegram(3, T, { mode: 7 })));
    assert.deepEqual(r, { accepted: 2, unknown: 2, ignored: 1 });
    assert.deepEqual(published.map((p) => p.key), [nums.m0, nums.gas]);
    const f = published[0]!.frame;
    assert.deepEqual([f.framing, f.deviceId, f.connector, f.receivedAt, f.context?.deviceTzMinutes, f.context?.source, f.context?.archive, f.context?.retentionDays],
      ['MBUS', nums.m0, 'wmbus:gw-south', T, 180, 'PUSH', 'current', 365]);
    assert.equal(hex(f.wire), hex(fleet.telegram(0, T)));
    // The gateway the north channel admits.
    assert.deepEqual(await intake.accept(projectId, message('gw-north', fleet.telegram(1, T))), { accepted: 1, unknown: 0, ignored: 0 });
    // The gateway's word on the CRCs it forwards goes with the frame for the decoder.
    assert.deepEqual(f.meta, {});
    published.length = 0;
    await intake.accept(projectId, parseGatewayMessage({ gateway: 'gw-south', telegram: hex(fleet.telegram(0, T)), frameFormat: 'A' }, 'body'));
    assert.deepEqual(published[0]!.frame.meta, { frameFormat: 'A' });
  });

  it('lists unknown meters with their registration address until a comm line names them', async () => {
    await unknown.flush();
    const list = await listUnknownMeters(t.db, projectId, 50, 0);
    assert.deepEqual(list.items.map((m) => [m.address, m.telegrams, m.securityMode, m.lastGateway, m.lastRssi]).sort(), [
      [`${fleet.meter(2).id}-HES`, 1, 5, 'gw-south', -80], [`${fleet.meter(3).id}-HES`, 1, 7, 'gw-south', -80],
    ].sort());
    await intake.accept(projectId, message('gw-2', fleet.telegram(2, T + 60_000)));
    await unknown.flush();
    const again = await listUnknownMeters(t.db, projectId, 50, 0);
    assert.equal(again.items.find((m) => m.meterId === fleet.meter(2).id)?.telegrams, 2);
    const air = (await t.db.query<{ id: string }>(`SELECT id FROM channels WHERE name = 'air'`)).rows[0]!.id;
    const any = (await t.db.query<{ device_id: string; protocol_id: string }>('SELECT device_id, protocol_id FROM comm_lines LIMIT 1')).rows[0]!;
    await t.db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, address) VALUES ($1, $2, $3, $4, $5)`, [projectId, any.device_id, air, any.protocol_id, `${fleet.meter(2).id}-HES`]);
    assert.deepEqual((await listUnknownMeters(t.db, projectId, 50, 0)).items.map((m) => m.meterId), [fleet.meter(3).id]);
  });

  it('refuses a message that is not a gateway message, naming the field', () => {
    const bad: [unknown, string][] = [
      [[], 'body'], [{ telegrams: [{ telegram: '2E44' }] }, 'body.gateway'], [{ gateway: 'gw', telegrams: [] }, 'body.telegrams'],
      [{ gateway: 'gw', telegrams: [{ telegram: 'XYZ' }] }, 'body.telegrams[0].telegram'],
      [{ gateway: 'gw', telegrams: [{ telegram: hex(fleet.telegram(0, T)), rssi: 'loud' }] }, 'body.telegrams[0].rssi'],
      [{ gateway: 'gw', telegrams: [{ telegram: hex(fleet.telegram(0, T)), time: 'yesterday' }] }, 'body.telegrams[0].time'],
      [{ gateway: 'gw', telegram: hex(fleet.telegram(0, T)), frameFormat: 'C' }, 'body.frameFormat'],
    ];
    for (const [body, field] of bad) assert.throws(() => parseGatewayMessage(body, 'body'), (e: unknown) => e instanceof GatewayMessageError && e.field === field, JSON.stringify(body));
    assert.equal(parseGatewayMessage({ telegram: hex(fleet.telegram(0, T)) }, 'payload', 'gw-topic').gateway, 'gw-topic');
  });

  it('takes gateway messages from MQTT (QoS 1, acknowledged after the bus); a bad payload is counted, not retried', async () => {
    published.length = 0;
    const prefix = `hes-test/wmbus-${process.pid}-${Date.now()}`;
    const errors: string[] = [];
    const feed = new WmbusMqttFeed({ url: 'mqtt://127.0.0.1:1883', prefix, intake, onError: (m) => errors.push(m) });
    await feed.start();
    const gw = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    try {
      await gw.publishAsync(`${prefix}/${projectId}/gw-mqtt`, JSON.stringify({ telegrams: [{ telegram: hex(fleet.telegram(0, T + 120_000)), rssi: -60 }] }), { qos: 1 });
      await gw.publishAsync(`${prefix}/${projectId}/gw-mqtt`, 'not json', { qos: 1 });
      await gw.publishAsync(`${prefix}/not-a-project/gw-mqtt`, '{}', { qos: 1 });
      for (let i = 0; i < 100 && feed.taken + feed.rejected < 3; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await gw.endAsync();
      await feed.close();
    }
    assert.deepEqual([feed.taken, feed.rejected], [1, 2]);
    assert.deepEqual(published.map((p) => [p.key, p.frame.connector]), [[nums.m0, 'wmbus:gw-mqtt']]);
    assert.equal(errors.length, 2);
    assert.match(errors.join('\n'), /not JSON/);
    assert.match(errors.join('\n'), /is not hes-test\/.*<projectId>\/<gatewayId>/);
  });
});
