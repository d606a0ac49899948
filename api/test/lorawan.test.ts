/**
 * LoRaWAN in the registry API: a ChirpStack application as a LORAWAN channel, devices by DevEUI, the LORAWAN
 * protocol; ChirpStack's HTTP integration posting uplinks (checked field by field, on the bus once, other events
 * answered and ignored); devices heard but not registered listed for installers.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ENGINES } from '../../registry/testing.js';
import { LorawanIntake } from '../../ingest/chirpstack/intake.js';
import { uplinkEvent } from '../../ingest/chirpstack/testing.js';
import { LorawanDirectory, UnknownLorawanDevices } from '../../registry/lorawan.js';
import { offsetMinutes } from '../../scheduler/schedule.js';
import { TLV_VECTORS } from '../../decoders/lorawan/fixtures.js';
import type { RawFrame } from '../../schemas/avro/index.js';
import { startHarness, type Harness } from './harness.js';

for (const engine of ENGINES) {
  describe(`LoRaWAN resources and the ChirpStack HTTP integration (${engine})`, () => {
    let h: Harness;
    let base: string;
    let unknown: UnknownLorawanDevices;
    let intake: LorawanIntake;
    const published: { key: number; frame: RawFrame }[] = [];
    const application = randomUUID();
    before(async () => {
      h = await startHarness(engine, {
        lorawan: (db) => {
          unknown = new UnknownLorawanDevices(db, { flushMs: 60_000 });
          intake = new LorawanIntake({ directory: new LorawanDirectory(db), unknown, offsetMinutes, retentionDays: async () => 90, publish: async (f) => void published.push(...f) });
          return intake;
        },
      });
      base = `/api/v1/projects/${h.projectId}`;
    });
    after(async () => {
      await unknown.close();
      await h.close();
    });

    const post = async (path: string, payload: object) => h.call('Operator', { method: 'POST', url: `${base}/${path}`, payload });
    let meterNum: number;

    it('a LORAWAN channel names a ChirpStack application; comm lines name devices by DevEUI over the LORAWAN protocol', async () => {
      const bad: [string, object, string][] = [
        ['channels', { name: 'c', kind: 'LORAWAN', settings: {} }, 'body.settings.applicationId'],
        ['channels', { name: 'c', kind: 'LORAWAN', settings: { applicationId: application, devEui: '0004A30B001C0530' } }, 'body.settings.devEui'],
        ['protocols', { name: 'p', kind: 'LORAWAN', settings: { fPort: 2 } }, 'body.settings.fPort'],
      ];
      for (const [path, payload, field] of bad) {
        const r = await post(path, payload);
        assert.deepEqual([r.statusCode, r.json().error?.field], [400, field], JSON.stringify(payload));
      }
      const app = await post('channels', { name: 'chirpstack', kind: 'LORAWAN', settings: { applicationId: application, integration: 'http' } });
      assert.equal(app.statusCode, 201, app.body);
      assert.deepEqual(app.json().settings, { applicationId: application, integration: 'http' });
      const lorawan = (await post('protocols', { name: 'lorawan', kind: 'LORAWAN', settings: {} })).json();
      const dlms = (await post('protocols', { name: 'dlms', kind: 'DLMS', settings: {} })).json();
      const tcp = (await post('channels', { name: 'tcp', kind: 'TCP', settings: { host: '10.0.0.1', port: 4059 } })).json();
      const meter = (await post('devices', { serialNumber: 'LW-0001', type: 'LORAWAN' })).json();
      meterNum = Number((await h.t.db.query<{ num: string }>('SELECT num FROM devices WHERE id = $1', [meter.id])).rows[0]!.num);
      const line = (payload: object) => post('comm-lines', { deviceId: meter.id, ...payload });
      const refused: [object, string, string][] = [
        [{ channelId: app.json().id, protocolId: lorawan.id, address: '0004A30B001C05' }, 'body.address', 'VALIDATION_ERROR'],
        [{ channelId: tcp.id, protocolId: lorawan.id, address: '0004A30B001C0530' }, 'body.channelId', 'PROTOCOL_MISMATCH'],
        [{ channelId: app.json().id, protocolId: dlms.id, address: '0004A30B001C0530' }, 'body.protocolId', 'PROTOCOL_MISMATCH'],
        [{ channelId: app.json().id, protocolId: lorawan.id, address: '0004A30B001C0530', profileId: 'MBUS_WATER' }, 'body.profileId', 'PROFILE_MISMATCH'],
      ];
      for (const [payload, field, code] of refused) {
        const r = await line(payload);
        assert.deepEqual([r.statusCode, r.json().error.field, r.json().error.code], [400, field, code], JSON.stringify(payload));
      }
      const ok = await line({ channelId: app.json().id, protocolId: lorawan.id, address: '0004a30b001c0530', profileId: 'LORAWAN_OBIS_TLV' });
      assert.equal(ok.statusCode, 201, ok.body);
    });

    it('the HTTP integration: an uplink goes on the bus once; bad events name the field; ack/txack/log are device events; other events are answered and ignored', async () => {
      const url = (event: string) => `${base}/lorawan/chirpstack?event=${event}`;
      const event = uplinkEvent({ applicationId: application, devEui: '0004A30B001C0530', payload: TLV_VECTORS.energy, fCnt: 9 });
      const first = await h.call('M2M', { method: 'POST', url: url('up'), payload: event });
      assert.deepEqual([first.statusCode, first.json()], [202, { event: 'up', outcome: 'accepted' }], first.body);
      const again = await h.call('M2M', { method: 'POST', url: url('up'), payload: event });
      assert.deepEqual(again.json(), { event: 'up', outcome: 'duplicate' });
      assert.deepEqual(published.map((p) => [p.key, p.frame.protocol, p.frame.meta?.fCnt, p.frame.context?.retentionDays]), [[meterNum, 'lorawan', '9', 90]]);
      published.length = 0;
      const location = await h.call('M2M', { method: 'POST', url: url('location'), payload: { deduplicationId: randomUUID() } });
      assert.deepEqual([location.statusCode, location.json()], [202, { event: 'location', outcome: 'ignored' }]);
      const queueItemId = randomUUID();
      const ack = await h.call('M2M', { method: 'POST', url: url('ack'), payload: { ...event, deduplicationId: randomUUID(), queueItemId, acknowledged: true, fCntDown: 3 } });
      assert.deepEqual([ack.statusCode, ack.json()], [202, { event: 'ack', outcome: 'accepted' }], ack.body);
      assert.deepEqual({ ...published.at(-1)?.frame.meta, deduplicationId: undefined }, { event: 'ack', devEui: '0004A30B001C0530', applicationId: application, deduplicationId: undefined, queueItemId, acknowledged: 'true', fCntDown: '3' });
      const log = await h.call('M2M', { method: 'POST', url: url('log'), payload: { ...event, deduplicationId: undefined, level: 'ERROR', code: 'DOWNLINK_PAYLOAD_SIZE', description: 'payload exceeds max size' } });
      assert.deepEqual([log.statusCode, log.json()], [202, { event: 'log', outcome: 'accepted' }], log.body);
      assert.deepEqual([published.at(-1)?.frame.meta?.event, published.at(-1)?.frame.meta?.code], ['log', 'DOWNLINK_PAYLOAD_SIZE']);
      const join = await h.call('M2M', { method: 'POST', url: url('join'), payload: { ...event, deduplicationId: randomUUID(), devAddr: '01ab02cd' } });
      assert.deepEqual([join.statusCode, join.json()], [202, { event: 'join', outcome: 'accepted' }]);
      assert.equal(published.at(-1)?.frame.meta?.devAddr, '01AB02CD');
      const status = await h.call('M2M', { method: 'POST', url: url('status'), payload: { ...event, deduplicationId: randomUUID(), margin: 6, batteryLevel: 90 } });
      assert.deepEqual([status.statusCode, status.json()], [202, { event: 'status', outcome: 'accepted' }]);
      assert.deepEqual(published.at(-1)?.frame.meta?.batteryLevel, '90');
      const badStatus = await h.call('M2M', { method: 'POST', url: url('status'), payload: { ...event, batteryLevel: 'full' } });
      assert.deepEqual([badStatus.statusCode, badStatus.json().error.field], [400, 'body.batteryLevel']);
      const bad = await h.call('M2M', { method: 'POST', url: url('up'), payload: { ...event, deviceInfo: { applicationId: application, devEui: 'nope' } } });
      assert.deepEqual([bad.statusCode, bad.json().error.field, intake.totals.malformed], [400, 'body.deviceInfo.devEui', 2]);
      const badAck = await h.call('M2M', { method: 'POST', url: url('txack'), payload: { ...event, queueItemId: 'x' } });
      assert.deepEqual([badAck.statusCode, badAck.json().error.field], [400, 'body.queueItemId']);
      const noEvent = await h.call('M2M', { method: 'POST', url: `${base}/lorawan/chirpstack`, payload: event });
      assert.deepEqual([noEvent.statusCode, noEvent.json().error.field], [400, 'querystring.event']);
      const other = await h.call('M2M', { method: 'POST', url: url('up'), payload: uplinkEvent({ applicationId: randomUUID(), devEui: '0004A30B001C0530', payload: '01' }) });
      assert.deepEqual(other.json(), { event: 'up', outcome: 'unknownApplication' });
      assert.equal((await h.call(null, { method: 'POST', url: url('up'), payload: event })).statusCode, 401);
    });

    it('lists the devices heard but not registered', async () => {
      const stranger = uplinkEvent({ applicationId: application, devEui: '70B3D57ED0000002', payload: '01', fCnt: 3, rssi: [-100] });
      const r = await h.call('M2M', { method: 'POST', url: `${base}/lorawan/chirpstack?event=up`, payload: stranger });
      assert.deepEqual(r.json(), { event: 'up', outcome: 'unknownDevice' });
      await unknown.flush();
      const list = await h.call('User', { method: 'GET', url: `${base}/lorawan/unknown-devices` });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(list.json().items.map((d: Record<string, unknown>) => [d.devEui, d.applicationId, d.uplinks, d.lastFCnt, d.lastRssi]), [['70B3D57ED0000002', application, 1, 3, -100]]);
      assert.equal((await h.call('User', { method: 'GET', url: `${base}/lorawan/unknown-devices?limit=0` })).json().error.field, 'querystring.limit');
    });
  });
}
