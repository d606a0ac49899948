/** M-Bus in the registry API: converter and gateway channels, the MBUS protocol, meters, addresses, keys sealed at rest. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { startHarness, type Harness } from './harness.js';

for (const engine of ENGINES) {
  describe(`M-Bus resources (${engine})`, () => {
    let h: Harness;
    let base: string;
    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}`;
    });
    after(() => h.close());

    const post = async (path: string, payload: object) => h.call('Operator', { method: 'POST', url: `${base}/${path}`, payload });

    it('channels, protocol and comm lines of wired and wireless meters; bad settings and addresses name the field', async () => {
      const bad: [string, object, string][] = [
        ['channels', { name: 'c', kind: 'MBUS_TCP', settings: { host: '10.0.0.1', port: 10001, baudRate: 1000 } }, 'body.settings.baudRate'],
        ['channels', { name: 'c', kind: 'MBUS_TCP', settings: { port: 10001 } }, 'body.settings.host'],
        ['channels', { name: 'c', kind: 'WMBUS', settings: { gateways: 'gw 1' } }, 'body.settings.gateways'],
        ['protocols', { name: 'p', kind: 'MBUS', settings: { maxTelegrams: 0 } }, 'body.settings.maxTelegrams'],
        ['protocols', { name: 'p', kind: 'MBUS', settings: { frameFormat: 'C' } }, 'body.settings.frameFormat'],
      ];
      for (const [path, payload, field] of bad) {
        const r = await post(path, payload);
        assert.deepEqual([r.statusCode, r.json().error?.field], [400, field], JSON.stringify(payload));
      }
      const wired = (await post('channels', { name: 'converter', kind: 'MBUS_TCP', exclusive: true, settings: { host: '10.0.0.9', port: 10001 } })).json();
      assert.equal(wired.settings.baudRate, 2400);
      const air = await post('channels', { name: 'air', kind: 'WMBUS', settings: { gateways: 'gw-1,gw-2' } });
      assert.equal(air.statusCode, 201);
      const tcp = (await post('channels', { name: 'tcp', kind: 'TCP', settings: { host: '10.0.0.1', port: 4059 } })).json();
      const mbus = (await post('protocols', { name: 'm-bus', kind: 'MBUS', settings: {} })).json();
      assert.deepEqual([mbus.settings.waitTime, mbus.settings.resendCount, mbus.settings.maxTelegrams], [2, 2, 16]);
      const dlms = (await post('protocols', { name: 'dlms', kind: 'DLMS', settings: {} })).json();
      const meter = (await post('devices', { serialNumber: '12345678', type: 'MBUS' })).json();
      assert.equal(meter.type, 'MBUS');
      const line = (payload: object) => post('comm-lines', { deviceId: meter.id, ...payload });
      const refused: [object, string, string][] = [
        [{ channelId: wired.id, protocolId: mbus.id, address: '251' }, 'body.address', 'VALIDATION_ERROR'],
        [{ channelId: wired.id, protocolId: mbus.id, address: '' }, 'body.address', 'VALIDATION_ERROR'],
        [{ channelId: air.json().id, protocolId: mbus.id, address: '12345678' }, 'body.address', 'VALIDATION_ERROR'],
        [{ channelId: air.json().id, protocolId: mbus.id, address: '5' }, 'body.address', 'VALIDATION_ERROR'],
        [{ channelId: tcp.id, protocolId: mbus.id, address: '5' }, 'body.channelId', 'PROTOCOL_MISMATCH'],
        [{ channelId: wired.id, protocolId: dlms.id }, 'body.protocolId', 'PROTOCOL_MISMATCH'],
        [{ channelId: wired.id, protocolId: mbus.id, address: '5', profileId: 'DL_CE_308' }, 'body.profileId', 'PROFILE_MISMATCH'],
      ];
      for (const [payload, field, code] of refused) {
        const r = await line(payload);
        assert.deepEqual([r.statusCode, r.json().error.field, r.json().error.code], [400, field, code], JSON.stringify(payload));
      }
      const primary = await line({ channelId: wired.id, protocolId: mbus.id, address: '5', profileId: 'MBUS_HEAT', protocolMap: 'PROTO_MAP_OMS' });
      assert.equal(primary.statusCode, 201, primary.body);
      const secondary = await line({ channelId: wired.id, protocolId: mbus.id, address: '1234567F-KAM' });
      assert.equal(secondary.statusCode, 201, secondary.body);
      const wireless = await line({ channelId: air.json().id, protocolId: mbus.id, address: '12345678-ELS', profileId: 'MBUS_WATER' });
      assert.equal(wireless.statusCode, 201, wireless.body);
      const moved = await h.call('Operator', { method: 'PATCH', url: `${base}/comm-lines/${wireless.json().id}`, payload: { address: 'ELS' } });
      assert.deepEqual([moved.statusCode, moved.json().error.field], [400, 'body.address']);
    });

    it('gateway feed: 503 where the intake does not run; unknown meters listed for installers', async () => {
      const r = await h.call('M2M', { method: 'POST', url: `${base}/wmbus/telegrams`, payload: { gateway: 'gw-1', telegrams: [{ telegram: '1444AE0C7856341201078C2027780B134365877AC5' }] } });
      assert.deepEqual([r.statusCode, r.json().error.code], [503, 'WMBUS_INTAKE_NOT_RUNNING']);
      const bad = await h.call('M2M', { method: 'POST', url: `${base}/wmbus/telegrams`, payload: { gateway: 'gw-1', telegrams: [{ telegram: 'XY' }] } });
      assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'body.telegrams.0.telegram']);
      await h.t.db.query(`INSERT INTO wmbus_unknown_meters (project_id, manufacturer, meter_id, version, device_type, first_seen, last_seen, telegrams, last_gateway)
        VALUES ($1, 'KAM', '76348799', 27, 22, now(), now(), 3, 'gw-1')`, [h.projectId]);
      const list = await h.call('User', { method: 'GET', url: `${base}/wmbus/unknown-meters` });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(list.json().items.map((m: { address: string; telegrams: number }) => [m.address, m.telegrams]), [['76348799-KAM', 3]]);
      assert.equal((await h.call('User', { method: 'GET', url: `${base}/wmbus/unknown-meters?limit=0` })).json().error.field, 'querystring.limit');
    });

    it('a meter key is stored sealed (never in plain text, never returned)', async () => {
      const meter = (await post('devices', { serialNumber: '87654321', type: 'MBUS' })).json();
      const key = '0102030405060708090A0B0C0D0E0F11';
      const r = await post('security-keys', { deviceId: meter.id, kind: 'MBUS_AES', key });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(JSON.stringify(r.json()).toLowerCase().includes(key.toLowerCase()), false);
      const row = await h.t.db.query<{ key_enc: string }>('SELECT key_enc FROM security_keys WHERE id = $1', [r.json().id]);
      assert.match(row.rows[0]!.key_enc, /^v1\./);
      assert.equal(row.rows[0]!.key_enc.toLowerCase().includes(key.toLowerCase()), false);
      assert.equal(h.box.decrypt(row.rows[0]!.key_enc, `security-key:${r.json().id}`), key.toLowerCase());
      const dup = await post('security-keys', { deviceId: meter.id, kind: 'MBUS_AES', key });
      assert.equal(dup.statusCode, 409);
    });
  });
}
