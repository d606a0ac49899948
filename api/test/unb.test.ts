/**
 * UNB in the API: base stations per role (Administrator only, seed 003 table 1), the token shown once and
 * kept hashed, the station service's exchange (401 + security event for a wrong token, 400 naming the field,
 * packets on the bus once however many stations heard them, replays and forged packets marked for the pool's
 * dead letters, unknown serials listed), and downlink tasks (offered to the best station, sealed for the meter,
 * results, cancel, approval, re-offer).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { UnbDirectory, UnbDownlinks, UnbStations, UnknownUnbDevices } from '../../registry/unb.js';
import { UnbStationService } from '../../ingest/unb/service.js';
import { DOWNLINK_KEY, SERIAL, UPLINK_KEY, VECTORS } from '../../decoders/smp-m/fixtures.js';
import { decodeMessage, encodeMessage } from '../../decoders/smp-m/messages.js';
import { open, seal, SmpmKey } from '../../decoders/smp-m/packet.js';
import { SmpmDecoder } from '../../decoders/smp-m/decoder.js';
import { SmpmError } from '../../decoders/smp-m/errors.js';
import { recordingOutput } from '../../decoders/testing.js';
import type { RawFrame } from '../../schemas/avro/index.js';
import { startHarness, type Harness } from './harness.js';

for (const engine of ENGINES) {
  describe(`UNB base stations, the station service and downlink tasks (${engine})`, () => {
    let h: Harness;
    let base: string;
    let directory: UnbDirectory;
    let unknown: UnknownUnbDevices;
    let service: UnbStationService;
    const published: { key: number; frame: RawFrame }[] = [];
    let busDown = false;
    const tokens: Record<string, string> = {};
    const stationIds: Record<string, string> = {};
    let meter: { id: string; num: number };
    before(async () => {
      h = await startHarness(engine, {
        unb: (db, box) => {
          directory = new UnbDirectory(db, box);
          unknown = new UnknownUnbDevices(db, { flushMs: 60_000 });
          service = new UnbStationService({
            stations: new UnbStations(db), directory, downlinks: new UnbDownlinks(db), unknown, retentionDays: async () => 90, flushMs: 60_000,
            publish: async (f) => {
              if (busDown) throw new Error('the bus does not answer');
              published.push(...f);
            },
          });
          return service;
        },
      });
      base = `/api/v1/projects/${h.projectId}`;
    });
    after(async () => {
      await service.close();
      await h.close();
    });

    const exchange = (station: string, body: object, token = tokens[station]) =>
      h.app.inject({ method: 'POST', url: '/api/UnbBS/v1/messages', headers: token ? { authorization: `Bearer ${token}` } : {}, payload: { version: 1, stationId: station, ...body } });
    const packet = (id: string, hex: string, rssi: number) => ({ id, receivedAt: '2026-12-07T12:30:05.250', data: hex, rssi, snr: 6.5, frequency: 868_800_000 });

    it('base stations are the Administrator\'s: added, read, changed, their token issued once and kept hashed; others get 403', async () => {
      for (const role of ['Operator', 'User']) {
        assert.equal((await h.call(role, { method: 'GET', url: '/api/v1/unb/base-stations' })).statusCode, 403, role);
        assert.equal((await h.call(role, { method: 'POST', url: '/api/v1/unb/base-stations', payload: { identifier: 'x', tzOffsetMinutes: 0 } })).statusCode, 403, role);
      }
      const bad = await h.call('Administrator', { method: 'POST', url: '/api/v1/unb/base-stations', payload: { identifier: 'a b', tzOffsetMinutes: 180 } });
      assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'body.identifier']);
      for (const [identifier, tz] of [['9121', 180], ['9122', 180], ['9123', 240]] as const) {
        const r = await h.call('Administrator', { method: 'POST', url: '/api/v1/unb/base-stations', payload: { identifier, tzOffsetMinutes: tz, note: 'roof' } });
        assert.equal(r.statusCode, 201, r.body);
        assert.deepEqual([r.json().status, r.json().hasToken, r.json().firmware], ['offline', false, null]);
        stationIds[identifier] = r.json().id;
        const t = await h.call('Administrator', { method: 'POST', url: `/api/v1/unb/base-stations/${r.json().id}/token` });
        assert.equal(t.statusCode, 200, t.body);
        tokens[identifier] = t.json().token;
        assert.equal(t.json().station.hasToken, true);
      }
      const dup = await h.call('Administrator', { method: 'POST', url: '/api/v1/unb/base-stations', payload: { identifier: '9121', tzOffsetMinutes: 0 } });
      assert.deepEqual([dup.statusCode, dup.json().error.field], [409, 'body.identifier']);
      const got = await h.call('Administrator', { method: 'GET', url: `/api/v1/unb/base-stations/${stationIds['9121']}` });
      assert.ok(!got.body.includes(tokens['9121']!), 'the token is never shown again');
      const stored = await h.t.db.query<{ token_hash: string }>('SELECT token_hash FROM unb_base_stations WHERE id = $1', [stationIds['9121']]);
      assert.notEqual(stored.rows[0]!.token_hash, tokens['9121']);
      assert.match(stored.rows[0]!.token_hash, /^[0-9a-f]{64}$/);
      const pm = await h.call('Project Manager', { method: 'PATCH', url: `/api/v1/unb/base-stations/${stationIds['9123']}`, payload: { note: 'mast 2' } });
      assert.deepEqual([pm.statusCode, pm.json().note, pm.json().version], [200, 'mast 2', 3]);
      const events = await h.t.db.query<{ code: string }>(`SELECT code FROM events WHERE code LIKE 'SET_UNB_STATION_%' ORDER BY id`);
      assert.deepEqual(events.rows.map((e) => e.code), ['SET_UNB_STATION_ADD', 'SET_UNB_STATION_TOKEN', 'SET_UNB_STATION_ADD', 'SET_UNB_STATION_TOKEN', 'SET_UNB_STATION_ADD', 'SET_UNB_STATION_TOKEN', 'SET_UNB_STATION_UPDATE']);
    });

    it('a station with a wrong token, no token or an unknown identifier gets 401 and a security event; a malformed post is 400 naming the field', async () => {
      const before = (await h.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE code = 'SSET_UNB_STATION_AUTH_FAILED'`)).rows[0]!.n;
      assert.equal((await exchange('9121', {}, 'unbbs-wrong')).statusCode, 401);
      assert.equal((await exchange('9121', {}, '')).statusCode, 401);
      assert.equal((await exchange('9999', {}, tokens['9121'])).statusCode, 401);
      assert.equal((await exchange('9122', {}, tokens['9121'])).statusCode, 401, "another station's token");
      const ev = await h.t.db.query<{ level: string; params: { identifier: string; reason: string } }>(`SELECT level, params FROM events WHERE code = 'SSET_UNB_STATION_AUTH_FAILED' ORDER BY id`);
      assert.equal(ev.rows.length - before, 4);
      assert.deepEqual(ev.rows.slice(-4).map((e) => [e.level, e.params.identifier, e.params.reason]), [
        ['warning', '9121', 'unknown identifier or wrong token'], ['warning', '9121', 'no token'], ['warning', '9999', 'unknown identifier or wrong token'], ['warning', '9122', 'unknown identifier or wrong token'],
      ]);
      // The exchange is in the OpenAPI document, its body the documented message.
      const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, { post?: { requestBody: unknown; responses: Record<string, unknown> } }> };
      const op = doc.paths['/api/UnbBS/v1/messages']!.post!;
      assert.deepEqual(op.requestBody, { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/UnbStationMessage' } } } });
      for (const status of ['200', '400', '401', '503']) assert.ok(op.responses[status], status);
      const cases: [object, string][] = [
        [{ version: 2 }, 'body.version'],
        [{ packets: [packet('p1', 'XYZ', -120)] }, 'body.packets[0].data'],
        [{ packets: [packet('p1', '10', -120), { ...packet('p2', '10', -120), receivedAt: 'yesterday' }] }, 'body.packets[1].receivedAt'],
        [{ packets: [{ ...packet('p1', '10', -120), rssi: 120 }] }, 'body.packets[0].rssi'],
        [{ results: [{ taskId: 1, state: 'done' }] }, 'body.results[0].state'],
        [{ status: { latitude: 95 } }, 'body.status.latitude'],
      ];
      for (const [body, field] of cases) {
        const r = await exchange('9121', body);
        assert.deepEqual([r.statusCode, r.json().error?.field], [400, field], JSON.stringify(body));
      }
    });

    it('a UNB meter heard by three stations is put on the bus once; retries are duplicates; unknown serials are listed; foreign bytes counted', async () => {
      const post = async (path: string, payload: object) => h.call('Operator', { method: 'POST', url: `${base}/${path}`, payload });
      const dev = (await post('devices', { serialNumber: String(SERIAL), type: 'CE207' })).json();
      const smpm = (await post('protocols', { name: 'smp-m', kind: 'SMP_M', settings: {} })).json();
      const ch = (await post('channels', { name: 'unb-auto', kind: 'UNB', settings: {} })).json();
      assert.equal((await post('comm-lines', { deviceId: dev.id, channelId: ch.id, protocolId: smpm.id, profileId: 'DL_CE_207_SMP_M' })).statusCode, 201);
      assert.equal((await post('security-keys', { deviceId: dev.id, kind: 'XTEA_UPLINK', key: UPLINK_KEY })).statusCode, 201);
      assert.equal((await post('security-keys', { deviceId: dev.id, kind: 'XTEA_DOWNLINK', key: DOWNLINK_KEY })).statusCode, 201);
      meter = { id: dev.id, num: Number((await h.t.db.query<{ num: string }>('SELECT num FROM devices WHERE id = $1', [dev.id])).rows[0]!.num) };

      const a = await exchange('9121', { status: { firmware: '2.4.1', latitude: 55.75, longitude: 37.62 }, packets: [packet('a-1', VECTORS.current.packet, -118), packet('a-2', 'DEADBEEF', -110)] });
      assert.equal(a.statusCode, 200, a.body);
      assert.deepEqual(a.json().packets, { accepted: 1, duplicate: 0, unknownDevice: 0, foreign: 1 });
      const b = await exchange('9122', { packets: [packet('b-1', VECTORS.current.packet, -104)] });
      const c = await exchange('9123', { packets: [packet('c-1', VECTORS.current.packet, -125)] });
      const retry = await exchange('9121', { packets: [packet('a-1', VECTORS.current.packet, -118)] });
      for (const r of [b, c, retry]) assert.deepEqual(r.json().packets, { accepted: 0, duplicate: 1, unknownDevice: 0, foreign: 0 });
      assert.equal(published.length, 1);
      const f = published[0]!;
      assert.equal(f.key, meter.num);
      assert.deepEqual([f.frame.frameId, f.frame.protocol, f.frame.framing, f.frame.connector], [`unb:${SERIAL}:42`, 'smp-m', 'SMPM', 'unb']);
      assert.equal(f.frame.receivedAt, Date.UTC(2026, 11, 7, 9, 30, 5, 250), 'a local reception time is in the station zone (UTC+3)');
      assert.equal(f.frame.context!.deviceTzMinutes, 180);
      assert.deepEqual(f.frame.meta, { serial: String(SERIAL), counter: '42', stationId: '9121', packetId: 'a-1', rssi: '-118', snr: '6.5', frequency: '868800000' });
      // what the pool makes of it
      const out = recordingOutput(100);
      const context = { num: meter.num, serial: String(SERIAL), projectId: h.projectId, profile: null, protocol: null, secrets: { XTEA_UPLINK: UPLINK_KEY }, overrides: {} };
      assert.equal(new SmpmDecoder().decode(f.frame, out, context), 3);

      const station = (await h.call('Administrator', { method: 'GET', url: `/api/v1/unb/base-stations/${stationIds['9121']}` })).json();
      assert.deepEqual([station.status, station.firmware, station.latitude, station.longitude], ['online', '2.4.1', 55.75, 37.62]);

      // a serial nobody registered: counted and listed, not on the bus
      const stranger = VECTORS.current.packet.replace('0B9F76D2', '0B9F76D3');
      const u = await exchange('9122', { packets: [packet('b-2', stranger, -99)] });
      assert.deepEqual(u.json().packets, { accepted: 0, duplicate: 0, unknownDevice: 1, foreign: 0 });
      await unknown.flush();
      const listed = await h.call('Administrator', { method: 'GET', url: '/api/v1/unb/unknown-devices' });
      assert.deepEqual(listed.json().items.map((x: { serial: number; packets: number; lastStation: string }) => [x.serial, x.packets, x.lastStation]), [[SERIAL + 1, 1, '9122']]);
      assert.equal((await h.call('Operator', { method: 'GET', url: '/api/v1/unb/unknown-devices' })).statusCode, 403);
      assert.equal(published.length, 1);
    });

    it('a replayed counter and a forged packet go to the bus marked for the dead letters; a late packet is taken; a forged packet does not move the counter', async () => {
      published.length = 0;
      const forged = Buffer.from(VECTORS.commandResult.packet, 'hex');
      forged[forged.length - 1]! ^= 1; // counter 45, MAC broken
      const { type, payload } = encodeMessage({ type: 'current', time: Date.UTC(2026, 11, 6) / 1000, total: 1_000_000, tariffs: [] });
      const old = Buffer.from(seal({ direction: 'uplink', serial: SERIAL, counter: 26, type }, payload, SmpmKey.fromHex(UPLINK_KEY))).toString('hex'); // 16 behind 42
      const r = await exchange('9121', { packets: [packet('a-3', VECTORS.endOfDay.packet, -118), packet('a-4', forged.toString('hex'), -118), packet('a-5', old, -118)] });
      assert.deepEqual(r.json().packets, { accepted: 3, duplicate: 0, unknownDevice: 0, foreign: 0 });
      assert.deepEqual(published.map((p) => p.frame.meta!.lastCounter), ['42', '42', '42']);
      const d = new SmpmDecoder();
      const context = { num: meter.num, serial: String(SERIAL), projectId: h.projectId, profile: null, protocol: null, secrets: { XTEA_UPLINK: UPLINK_KEY }, overrides: {} };
      assert.equal(d.decode(published[0]!.frame, recordingOutput(0), context), 3, 'counter 41 is late (a station that was offline), not replayed');
      assert.throws(() => d.decode(published[1]!.frame, recordingOutput(0), context), (e) => e instanceof SmpmError && e.code === 'SMPM_AUTH' && /station 9121: authentication failed/.test(e.message));
      assert.throws(() => d.decode(published[2]!.frame, recordingOutput(0), context), (e) => e instanceof SmpmError && e.code === 'SMPM_REPLAY' && /replayed counter 26 \(the highest accepted is 42/.test(e.message));
      // the genuine counter 44 after the forged 45: still taken
      published.length = 0;
      await exchange('9122', { packets: [packet('b-3', VECTORS.events.packet, -104)] });
      assert.equal(published[0]!.frame.meta!.lastCounter, '42');
      await directory.flush();
      const stored = await h.t.db.query<{ uplink: string }>('SELECT uplink FROM unb_counters WHERE device_id = $1', [meter.id]);
      assert.equal(Number(stored.rows[0]!.uplink), 44);
    });

    it('a post the bus could not take is answered 500 and taken whole when the station sends it again', async () => {
      published.length = 0;
      const { type, payload } = encodeMessage({ type: 'current', time: Date.UTC(2026, 11, 7, 10) / 1000, total: 1_250_000, tariffs: [] });
      const fresh = Buffer.from(seal({ direction: 'uplink', serial: SERIAL, counter: 46, type }, payload, SmpmKey.fromHex(UPLINK_KEY))).toString('hex');
      busDown = true;
      const failed = await exchange('9121', { packets: [packet('a-9', fresh, -118)] });
      busDown = false;
      assert.equal(failed.statusCode, 500);
      const again = await exchange('9121', { packets: [packet('a-9', fresh, -118)] });
      assert.deepEqual(again.json().packets, { accepted: 1, duplicate: 0, unknownDevice: 0, foreign: 0 });
      assert.deepEqual(published.map((p) => [p.frame.frameId, p.frame.meta!.lastCounter]), [[`unb:${SERIAL}:46`, '44']]);
    });

    it('downlink tasks: offered to the station that heard the meter best, sealed with the downlink key, results recorded; cancel while queued; approval', async () => {
      const url = `${base}/devices/${meter.id}/downlink-tasks`;
      await directory.flush(); // receptions: 9122 heard it best (−104 dBm)
      const t = await h.call('Operator', { method: 'POST', url, payload: { kind: 'relay-disconnect' } });
      assert.equal(t.statusCode, 201, t.body);
      assert.deepEqual([t.json().state, t.json().offeredTo, t.json().serialNumber], ['queued', '9122', String(SERIAL)]);
      assert.equal((await h.call('User', { method: 'POST', url, payload: { kind: 'relay-connect' } })).statusCode, 403);
      const badShift = await h.call('Operator', { method: 'POST', url, payload: { kind: 'time-correction' } });
      assert.deepEqual([badShift.statusCode, badShift.json().error.field], [400, 'body.shiftSeconds']);
      // another station polling gets nothing; the one offered gets the sealed packet
      assert.deepEqual((await exchange('9121', {})).json().tasks, []);
      const got = (await exchange('9122', {})).json();
      assert.equal(got.tasks.length, 1);
      const offered = got.tasks[0];
      assert.deepEqual([offered.taskId, offered.serial, offered.frequency, offered.power, offered.baudRate, offered.modulation], [t.json().id, SERIAL, 868751400, 3, 400, 'FSK']);
      const opened = open(Buffer.from(offered.packet, 'hex'), SmpmKey.fromHex(DOWNLINK_KEY));
      assert.deepEqual([opened.header.direction, opened.header.counter], ['downlink', 1]);
      assert.deepEqual(decodeMessage(opened.header.type, opened.payload), { type: 'relay', action: 'disconnect' });
      assert.equal((await h.call('Operator', { method: 'GET', url: `${url}` })).json().items[0].state, 'sent');
      const cancelSent = await h.call('Operator', { method: 'POST', url: `${url}/${t.json().id}/cancel` });
      assert.equal(cancelSent.statusCode, 409);
      const done = (await exchange('9122', { results: [{ taskId: t.json().id, state: 'success', note: 'ack from meter' }, { taskId: 999, state: 'error' }] })).json();
      assert.deepEqual(done.results, { taken: 1, ignored: [999] });
      const listed = (await h.call('Operator', { method: 'GET', url })).json();
      assert.deepEqual([listed.total, listed.items[0].state, listed.items[0].note, listed.items[0].sentBy, listed.items[0].counter], [1, 'success', 'ack from meter', '9122', 1]);
      const perStation = (await h.call('Administrator', { method: 'GET', url: `/api/v1/unb/base-stations/${stationIds['9122']}/downlink-tasks` })).json();
      assert.equal(perStation.total, 1);

      // a time correction, cancelled while queued (nobody fetched it yet)
      const tc = (await h.call('Operator', { method: 'POST', url, payload: { kind: 'time-correction', shiftSeconds: -90 } })).json();
      const cancelled = await h.call('Operator', { method: 'POST', url: `${url}/${tc.id}/cancel` });
      assert.deepEqual([cancelled.statusCode, cancelled.json().state], [200, 'cancelled']);
      // finished tasks can be deleted from the list; open ones cannot
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${url}/${tc.id}` })).statusCode, 204);
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${url}/${tc.id}` })).statusCode, 404);
      assert.equal((await h.call('User', { method: 'DELETE', url: `${url}/${t.json().id}` })).statusCode, 403);
      assert.deepEqual((await exchange('9122', {})).json().tasks, []);

      // not fetched within the offer time: offered to the next best station (9121, −118 dBm), then 9123
      const next = (await h.call('Operator', { method: 'POST', url, payload: { kind: 'relay-connect' } })).json();
      assert.equal(next.offeredTo, '9122');
      const stillOpen = await h.call('Operator', { method: 'DELETE', url: `${url}/${next.id}` });
      assert.deepEqual([stillOpen.statusCode, stillOpen.json().error.code], [409, 'CONFLICT']);
      const impatient = new UnbDownlinks(h.t.db, { offerSeconds: 0 });
      const fetched = await impatient.fetch(stationIds['9121']!, directory);
      assert.deepEqual(fetched.map((x) => [x.id, x.counter, x.kind]), [[next.id, 2, 'relay-connect']]);

      // with disconnect approval on, a disconnect goes through a task
      await h.call('Administrator', { method: 'PUT', url: `${base}/control-settings`, payload: { relayDisconnectApproval: true } });
      const refused = await h.call('Operator', { method: 'POST', url, payload: { kind: 'relay-disconnect' } });
      assert.deepEqual([refused.statusCode, refused.json().error.code], [422, 'APPROVAL_REQUIRED']);
      await h.call('Administrator', { method: 'PUT', url: `${base}/control-settings`, payload: { relayDisconnectApproval: false } });
    });

    it('deleting stations: one, or several at once; Operators may not', async () => {
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `/api/v1/unb/base-stations/${stationIds['9123']}` })).statusCode, 403);
      assert.equal((await h.call('Administrator', { method: 'DELETE', url: `/api/v1/unb/base-stations/${stationIds['9123']}` })).statusCode, 204);
      const many = await h.call('Administrator', { method: 'POST', url: '/api/v1/unb/base-stations/delete', payload: { ids: [stationIds['9121'], stationIds['9122'], stationIds['9123']] } });
      assert.deepEqual(many.json().deleted.sort(), ['9121', '9122']);
      assert.equal((await h.call('Administrator', { method: 'GET', url: '/api/v1/unb/base-stations' })).json().total, 0);
    });
  });
}
