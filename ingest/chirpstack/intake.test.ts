/**
 * The ChirpStack intake with the registry: uplink events checked field by field, devices found by DevEUI
 * under their application's LORAWAN channel, frames keyed by the device with the LoRaWAN figures, duplicates
 * dropped by deduplicationId, unknown DevEUIs counted and listed until registered, uplinks of the other
 * integration or without payload ignored; the MQTT integration through Mosquitto.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { openTestDb, type TestDb } from '../../registry/testing.js';
import { createProject } from '../../registry/project-data.js';
import { listUnknownLorawanDevices, LorawanDirectory, UnknownLorawanDevices } from '../../registry/lorawan.js';
import { offsetMinutes } from '../../scheduler/schedule.js';
import { TLV_VECTORS } from '../../decoders/lorawan/fixtures.js';
import type { RawFrame } from '../../schemas/avro/index.js';
import { LorawanIntake } from './intake.js';
import { ChirpstackMqttFeed } from './mqtt.js';
import { protobufAckEvent, protobufUplinkEvent, uplinkEvent } from './testing.js';
import { protobufEvent } from './protobuf.js';
import { ChirpstackEventError, parseDownlinkEvent, parseJoin, parseStatus, parseUplink } from './uplink.js';

const T = Date.UTC(2026, 11, 7, 10, 30);
const APP = randomUUID();
const HTTP_APP = randomUUID();
const METER = '0004A30B001C0530';
const SECOND = '0004A30B001C0531';

describe('ChirpStack intake', () => {
  let t: TestDb, projectId: string, intake: LorawanIntake, unknown: UnknownLorawanDevices;
  const published: { key: number; frame: RawFrame }[] = [];
  const nums: Record<string, number> = {};

  before(async () => {
    t = await openTestDb('pglite');
    projectId = String((await createProject(t.db, { name: 'LoRa', timeZone: 'Europe/Moscow' }, null)).id);
    const q = async <R>(sql: string, params: unknown[]) => (await t.db.query<R & Record<string, unknown>>(sql, params)).rows[0]!;
    const group = await q<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1', [projectId]);
    const app = await q<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'app', 'LORAWAN', $2) RETURNING id`, [projectId, { applicationId: APP.toUpperCase(), integration: 'mqtt' }]);
    const http = await q<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'http', 'LORAWAN', $2) RETURNING id`, [projectId, { applicationId: HTTP_APP, integration: 'http' }]);
    const protocol = await q<{ id: string }>(`INSERT INTO protocols (project_id, name, kind) VALUES ($1, 'lorawan', 'LORAWAN') RETURNING id`, [projectId]);
    const add = async (serial: string, channel: string, devEui: string) => {
      const d = await q<{ id: string; num: string }>(`INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, $2, 'LORAWAN', $3) RETURNING id, num`, [projectId, serial, group.id]);
      await t.db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address) VALUES ($1, $2, $3, $4, 'LORAWAN_OBIS_TLV', $5)`, [projectId, d.id, channel, protocol.id, devEui]);
      nums[serial] = Number(d.num);
    };
    await add('meter', app.id, METER.toLowerCase());
    await add('posted', http.id, SECOND);
    unknown = new UnknownLorawanDevices(t.db, { flushMs: 60_000 });
    intake = new LorawanIntake({
      directory: new LorawanDirectory(t.db), unknown, offsetMinutes, retentionDays: async () => 365, now: () => T + 60_000, dedupWindow: 3,
      publish: async (f) => void published.push(...f),
    });
  });
  after(async () => {
    await unknown.close();
    await t.drop();
  });

  const up = (o: Partial<Parameters<typeof uplinkEvent>[0]> = {}) =>
    parseUplink(uplinkEvent({ applicationId: APP, devEui: METER, payload: TLV_VECTORS.energy, time: new Date(T).toISOString(), ...o }), 'payload');

  it('reads the uplink event: ids, counters, payload, the best gateway', () => {
    const u = parseUplink(uplinkEvent({ applicationId: APP, devEui: METER.toLowerCase(), payload: '0102', fPort: 3, fCnt: 70000, rssi: [-110, -57, -80], time: '2026-12-07T10:30:00.5Z' }), 'body');
    assert.deepEqual([u.applicationId, u.devEui, u.fPort, u.fCnt, u.payload.toString('hex'), u.rssi, u.snr, u.gateways, u.gatewayId, u.dr, u.spreadingFactor, u.frequency, u.time],
      [APP, METER, 3, 70000, '0102', -57, 8.5, 3, '0016c001f1500001', 5, 7, 868500000, Date.UTC(2026, 11, 7, 10, 30, 0, 500)]);
    // proto3 JSON leaves zero values and empty bytes out.
    const { fCnt: _c, data: _d, rxInfo: _r, ...bare } = uplinkEvent({ applicationId: APP, devEui: METER, payload: '' });
    assert.deepEqual(((u) => [u.fCnt, u.payload.length, u.rssi, u.gateways])(parseUplink(bare, 'body')), [0, 0, null, 0]);
  });

  it('refuses what is not an uplink event, naming the field', () => {
    const good = uplinkEvent({ applicationId: APP, devEui: METER, payload: '01' });
    const info = good.deviceInfo as Record<string, unknown>;
    const bad: [unknown, string][] = [
      ['up', 'body'], [{ ...good, deduplicationId: 'x' }, 'body.deduplicationId'], [{ ...good, deviceInfo: null }, 'body.deviceInfo'],
      [{ ...good, deviceInfo: { ...info, applicationId: 7 } }, 'body.deviceInfo.applicationId'], [{ ...good, deviceInfo: { ...info, devEui: '0004' } }, 'body.deviceInfo.devEui'],
      [{ ...good, time: 'now' }, 'body.time'], [{ ...good, fCnt: -1 }, 'body.fCnt'], [{ ...good, fPort: 256 }, 'body.fPort'], [{ ...good, data: 'AQ*=' }, 'body.data'],
      [{ ...good, data: Buffer.alloc(243).toString('base64') }, 'body.data'], [{ ...good, rxInfo: {} }, 'body.rxInfo'], [{ ...good, rxInfo: [{ rssi: 'x' }] }, 'body.rxInfo[0].rssi'],
    ];
    for (const [body, field] of bad) assert.throws(() => parseUplink(body, 'body'), (e: unknown) => e instanceof ChirpstackEventError && e.field === field, JSON.stringify(body).slice(0, 80));
  });

  it('device-status events: checked, on the bus once as a frame without bytes, battery and margin in meta', async () => {
    published.length = 0;
    const event: Record<string, unknown> = { ...uplinkEvent({ applicationId: APP, devEui: METER, payload: '' }), margin: 9, batteryLevel: 64.5 };
    const s = parseStatus(event, 'payload');
    assert.deepEqual([s.devEui, s.margin, s.batteryLevel, s.externalPowerSource], [METER, 9, 64.5, false]);
    assert.equal(parseStatus({ ...event, batteryLevelUnavailable: true }, 'payload').batteryLevel, null);
    for (const [bad, field] of [[{ ...event, margin: 1.5 }, 'payload.margin'], [{ ...event, batteryLevel: 101 }, 'payload.batteryLevel'], [{ ...event, deviceInfo: {} }, 'payload.deviceInfo.applicationId']] as const) {
      assert.throws(() => parseStatus(bad, 'payload'), (e: unknown) => e instanceof ChirpstackEventError && e.field === field, field);
    }
    assert.throws(() => parseJoin({ ...event, devAddr: 'x' }, 'payload'), (e: unknown) => e instanceof ChirpstackEventError && e.field === 'payload.devAddr');
    assert.equal(await intake.acceptStatus(s, 'mqtt'), 'accepted');
    assert.equal(await intake.acceptStatus(s, 'mqtt'), 'duplicate');
    assert.equal(await intake.acceptStatus(parseStatus({ ...event, deduplicationId: randomUUID(), deviceInfo: { ...(event.deviceInfo as object), devEui: '70b3d57ed0000009' } }, 'p'), 'mqtt'), 'unknownDevice');
    assert.deepEqual(published.map((p) => [p.key, p.frame.wire.length, p.frame.meta]), [[nums.meter, 0, {
      event: 'status', devEui: METER, applicationId: APP, deduplicationId: s.deduplicationId, margin: '9', externalPowerSource: 'false', batteryLevel: '64.5',
    }]]);
  });

  it('puts uplinks of registered devices on the bus once, keyed by the device, with the LoRaWAN figures', async () => {
    published.length = 0;
    const first = up({ fCnt: 17, rssi: [-90, -60] });
    assert.equal(await intake.accept(first, 'mqtt'), 'accepted');
    assert.equal(await intake.accept(first, 'mqtt'), 'duplicate', 'a redelivery');
    assert.equal(published.length, 1);
    const { key, frame } = published[0]!;
    assert.deepEqual([key, frame.protocol, frame.framing, frame.deviceId, frame.connector, frame.receivedAt, frame.frameId, frame.wire.toString('hex').toUpperCase()],
      [nums.meter, 'lorawan', 'LORAWAN', nums.meter, 'chirpstack', T, `chirpstack:${first.deduplicationId}`, TLV_VECTORS.energy]);
    assert.deepEqual(frame.meta, {
      devEui: METER, applicationId: APP, deduplicationId: first.deduplicationId, fPort: '2', fCnt: '17', gateways: '2', rssi: '-60', snr: '8.5',
      gatewayId: '0016c001f1500001', dr: '5', spreadingFactor: '7', frequency: '868500000',
    });
    assert.deepEqual(frame.context, { archive: 'current', retentionDays: 365, deviceTzMinutes: 180, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null });
    // The window keeps the last 3 ids: the first is forgotten after three more.
    for (let i = 0; i < 3; i++) assert.equal(await intake.accept(up({ fCnt: 18 + i }), 'mqtt'), 'accepted');
    assert.equal(await intake.accept(first, 'mqtt'), 'accepted');
  });

  it('ignores the other integration and uplinks without payload; an application no channel names is unknown', async () => {
    published.length = 0;
    assert.equal(await intake.accept(up({ applicationId: HTTP_APP, devEui: SECOND }), 'mqtt'), 'ignored');
    assert.equal(await intake.accept(up({ applicationId: HTTP_APP, devEui: SECOND }), 'http', projectId), 'accepted');
    assert.equal(await intake.accept(up({ applicationId: HTTP_APP, devEui: SECOND }), 'http', randomUUID()), 'unknownApplication', 'posted to another project');
    assert.equal(await intake.accept(up({ fPort: 0 }), 'mqtt'), 'ignored');
    assert.equal(await intake.accept(up({ payload: '' }), 'mqtt'), 'ignored');
    assert.equal(await intake.accept(up({ applicationId: randomUUID() }), 'mqtt'), 'unknownApplication');
    assert.deepEqual(published.map((p) => p.key), [nums.posted]);
  });

  it('counts unknown DevEUIs and lists them until a comm line names them', async () => {
    const stranger = '70B3D57ED0000001';
    assert.equal(await intake.accept(up({ devEui: stranger, fCnt: 5, rssi: [-101] }), 'mqtt'), 'unknownDevice');
    assert.equal(await intake.accept(up({ devEui: stranger, fCnt: 6, rssi: [-99] }), 'mqtt'), 'unknownDevice');
    await unknown.flush();
    const list = await listUnknownLorawanDevices(t.db, projectId, 50, 0);
    assert.deepEqual(list.items.map((d) => [d.devEui, d.applicationId, d.deviceName, d.deviceProfile, d.uplinks, d.lastFCnt, d.lastRssi, d.lastSnr]),
      [[stranger, APP, 'meter-70b3d57ed0000001', 'OBIS-TLV meter', 2, 6, -99, 9.5]]);
    const line = (await t.db.query<{ protocol_id: string; channel_id: string; group_id: string }>(
      `SELECT cl.protocol_id, cl.channel_id, d.group_id FROM comm_lines cl JOIN devices d ON d.id = cl.device_id WHERE cl.address = $1`, [METER.toLowerCase()])).rows[0]!;
    const d = (await t.db.query<{ id: string }>(`INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, 'stranger', 'LORAWAN', $2) RETURNING id`, [projectId, line.group_id])).rows[0]!;
    await t.db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, address) VALUES ($1, $2, $3, $4, $5)`, [projectId, d.id, line.channel_id, line.protocol_id, stranger]);
    assert.deepEqual((await listUnknownLorawanDevices(t.db, projectId, 50, 0)).items, []);
  });

  it('takes uplinks from ChirpStack\'s MQTT integration (shared subscription, QoS 1, acknowledged after the bus); a bad message is counted, not retried', async () => {
    published.length = 0;
    const prefix = `hes-test/chirpstack-${process.pid}-${Date.now()}/`;
    const errors: string[] = [];
    const feed = new ChirpstackMqttFeed({ url: 'mqtt://127.0.0.1:1883', shareGroup: 'hes', topicPrefix: prefix, intake, onError: (m) => errors.push(m) });
    assert.equal(feed.topic, `$share/hes/${prefix}application/+/device/+/event/+`);
    await feed.start();
    const chirpstack = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    const topic = (app: string, devEui: string) => `${prefix}application/${app}/device/${devEui.toLowerCase()}/event/up`;
    try {
      const event = uplinkEvent({ applicationId: APP, devEui: METER, payload: TLV_VECTORS.energy, fCnt: 40 });
      await chirpstack.publishAsync(topic(APP, METER), JSON.stringify(event), { qos: 1 });
      await chirpstack.publishAsync(topic(APP, METER), JSON.stringify(event), { qos: 1 }); // the same uplink again
      await chirpstack.publishAsync(topic(APP, METER), Buffer.from([0x0a, 0x24]), { qos: 1 }); // a truncated protobuf message
      // The Protobuf marshaler's uplink: the same fields as the JSON one.
      await chirpstack.publishAsync(topic(APP, METER), Buffer.from(protobufUplinkEvent({ applicationId: APP, devEui: METER, payload: TLV_VECTORS.energy, fCnt: 41, rssi: [-90, -70] })), { qos: 1 });
      await chirpstack.publishAsync(topic(APP, SECOND), JSON.stringify(event), { qos: 1 });
      await chirpstack.publishAsync(topic(APP, METER), JSON.stringify({ ...event, fPort: 'two' }), { qos: 1 });
      const status = { ...uplinkEvent({ applicationId: APP, devEui: METER, payload: '' }), margin: 5, batteryLevel: 50 };
      await chirpstack.publishAsync(topic(APP, METER).replace(/up$/, 'status'), JSON.stringify(status), { qos: 1 });
      await chirpstack.publishAsync(topic(APP, METER).replace(/up$/, 'join'), JSON.stringify({ ...status, deduplicationId: randomUUID() }), { qos: 1 });
      await chirpstack.publishAsync(topic(APP, METER).replace(/up$/, 'location'), JSON.stringify(status), { qos: 1 }); // not taken: acknowledged
      await chirpstack.publishAsync(topic(APP, METER).replace(/up$/, 'ack'), JSON.stringify({ ...status, deduplicationId: randomUUID(), queueItemId: randomUUID(), acknowledged: true }), { qos: 1 });
      await chirpstack.publishAsync(topic(APP, METER).replace(/up$/, 'txack'), JSON.stringify(status), { qos: 1 }); // no queueItemId: refused
      for (let i = 0; i < 200 && feed.taken + feed.rejected < 11; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await chirpstack.endAsync();
      await feed.close();
    }
    assert.deepEqual([feed.taken, feed.rejected, intake.totals.malformed], [7, 4, 4], errors.join('\n'));
    assert.deepEqual(published.map((p) => [p.key, p.frame.meta?.fCnt ?? p.frame.meta?.event]).sort(), [[nums.meter, '40'], [nums.meter, '41'], [nums.meter, 'ack'], [nums.meter, 'join'], [nums.meter, 'status']]);
    assert.match(errors.join('\n'), /payload\.queueItemId must be a UUID/);
    const proto = published.find((p) => p.frame.meta?.fCnt === '41')!.frame;
    assert.deepEqual([Buffer.from(proto.wire).toString('hex').toUpperCase(), proto.meta?.rssi, proto.meta?.snr, proto.meta?.gateways, proto.meta?.fPort], [TLV_VECTORS.energy, '-70', '8.5', '2', '2']);
    assert.equal(published.find((p) => p.frame.meta?.event === 'join')?.frame.meta?.devAddr, '01FA3B2C');
    assert.match(errors.join('\n'), /neither JSON nor a ChirpStack up event in Protobuf/);
    assert.match(errors.join('\n'), /names another application or device/);
    assert.match(errors.join('\n'), /payload\.fPort must be an integer/);
  });

  it('reads ChirpStack\'s ack, txack and log events (JSON and Protobuf): the queue item, acknowledged, the gateway, the log\'s words', () => {
    const queueItemId = randomUUID();
    const base = uplinkEvent({ applicationId: APP, devEui: METER, payload: '' });
    const json = parseDownlinkEvent('ack', { ...base, queueItemId, acknowledged: true, fCntDown: 12 }, 'body');
    const proto = parseDownlinkEvent('ack', protobufEvent('ack', protobufAckEvent({ applicationId: APP, devEui: METER, queueItemId, acknowledged: true, fCntDown: 12 })), 'payload');
    for (const e of [json, proto]) assert.deepEqual([e.event, e.devEui, e.queueItemId, e.acknowledged, e.fields], ['ack', METER, queueItemId, true, { queueItemId, acknowledged: 'true', fCntDown: '12' }]);
    assert.equal(parseDownlinkEvent('ack', { ...base, queueItemId }, 'body').acknowledged, false, 'proto3 JSON leaves false out');
    const tx = parseDownlinkEvent('txack', { ...base, deduplicationId: undefined, queueItemId, downlinkId: 99, gatewayId: '0016c001f1500000' }, 'body');
    assert.deepEqual([tx.deduplicationId, tx.fields], [`txack:${queueItemId}:99`, { queueItemId, fCntDown: '0', gatewayId: '0016c001f1500000' }]);
    const log = parseDownlinkEvent('log', { ...base, deduplicationId: undefined, level: 'ERROR', code: 'DOWNLINK_PAYLOAD_SIZE', description: 'too long' }, 'body');
    assert.deepEqual([log.queueItemId, log.fields], [null, { level: 'ERROR', code: 'DOWNLINK_PAYLOAD_SIZE', description: 'too long' }]);
    assert.throws(() => parseDownlinkEvent('ack', { ...base, queueItemId: 'q' }, 'body'), (e) => e instanceof ChirpstackEventError && e.field === 'body.queueItemId');
    assert.throws(() => parseDownlinkEvent('txack', { ...base, queueItemId, fCntDown: -1 }, 'body'), (e) => e instanceof ChirpstackEventError && e.field === 'body.fCntDown');
  });

  it('queues a downlink on ChirpStack\'s command/down topic: DevEUI, confirmed, fPort, base64 data', async () => {
    const prefix = `hes-test/chirpstack-down-${process.pid}-${Date.now()}/`;
    const feed = new ChirpstackMqttFeed({ url: 'mqtt://127.0.0.1:1883', shareGroup: '', topicPrefix: prefix, intake, onError: () => undefined });
    const chirpstack = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    const got: [string, string][] = [];
    chirpstack.on('message', (t, m) => got.push([t, m.toString('utf8')]));
    await chirpstack.subscribeAsync(`${prefix}application/+/device/+/command/down`, { qos: 1 });
    await assert.rejects(feed.enqueue({ applicationId: APP, devEui: METER, confirmed: true, fPort: 20, data: Uint8Array.from([1, 0]) }), /not connected/);
    await feed.start();
    try {
      await feed.enqueue({ applicationId: APP, devEui: METER, confirmed: true, fPort: 20, data: Uint8Array.from([1, 0]) });
      await assert.rejects(feed.enqueue({ applicationId: APP, devEui: METER, confirmed: false, fPort: 0, data: new Uint8Array() }), /fPort 0/);
      for (let i = 0; i < 100 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await chirpstack.endAsync();
      await feed.close();
    }
    assert.deepEqual(got.map(([t, m]) => [t, JSON.parse(m)]), [
      [`${prefix}application/${APP}/device/${METER.toLowerCase()}/command/down`, { devEui: METER.toLowerCase(), confirmed: true, fPort: 20, data: 'AQA=' }],
    ]);
  });
});
