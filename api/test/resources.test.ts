/** Project isolation, validation errors naming the field, ETag checks, the default group, protocol secrets. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { startHarness, type Harness } from './harness.js';

for (const engine of ENGINES) {
  describe(`resources (${engine})`, () => {
    let h: Harness;
    let base: string;
    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}`;
    });
    after(() => h.close());

    it('creates channels, protocols, devices and comm lines; validation errors name the field', async () => {
      const bad: [string, unknown, string][] = [
        ['channels', { name: 'c', kind: 'TCP', settings: { host: '10.0.0.1', port: 0 } }, 'body.settings.port'],
        ['channels', { name: 'c', kind: 'TCP', settings: { port: 5 } }, 'body.settings.host'],
        ['channels', { name: 'c', kind: 'LORAWAN', settings: { applicationId: 'a' } }, 'body.settings.applicationId'],
        ['channels', { name: 'c', kind: 'LORAWAN', settings: { applicationId: '2f3c6a52-0c49-4a3e-9d4b-4a51e0c0a0b1', integration: 'amqp' } }, 'body.settings.integration'],
        ['channels', { name: 'c', kind: 'FAX', settings: {} }, 'body.kind'],
        ['channels', { name: '', kind: 'TCP', settings: { host: 'h', port: 1 } }, 'body.name'],
        ['protocols', { name: 'p', kind: 'DLMS', settings: { maxPduTx: 31 } }, 'body.settings.maxPduTx'],
        ['protocols', { name: 'p', kind: 'DLMS', settings: { maxPduRx: 2031 } }, 'body.settings.maxPduRx'],
        ['protocols', { name: 'p', kind: 'DLMS', settings: { clientAddress: 17 } }, 'body.settings.clientAddress'],
        ['protocols', { name: 'p', kind: 'DLMS', settings: { authentication: 'medium' } }, 'body.settings.authentication'],
        ['protocols', { name: 'p', kind: 'DLMS', settings: { serverAddressLength: 3 } }, 'body.settings.serverAddressLength'],
        ['protocols', { name: 'p', kind: 'DLMS', settings: { secret: 1 } }, 'body.settings.secret'],
        ['devices', { serialNumber: '1', type: 'CE999' }, 'body.type'],
        ['devices', { type: 'CE207' }, 'body.serialNumber'],
        ['devices', { serialNumber: '1', type: 'CE207', groupId: 'nope' }, 'body.groupId'],
      ];
      for (const [path, payload, field] of bad) {
        const r = await h.call('Operator', { method: 'POST', url: `${base}/${path}`, payload: payload as object });
        assert.equal(r.statusCode, 400, JSON.stringify(payload));
        assert.deepEqual([r.json().error.code, r.json().error.field], ['VALIDATION_ERROR', field], JSON.stringify(payload));
      }
      const q = await h.call('Operator', { method: 'GET', url: `${base}/devices?limit=0` });
      assert.equal(q.json().error.field, 'querystring.limit');
      const ch = await h.call('Operator', { method: 'POST', url: `${base}/channels`, payload: { name: 'tcp-1', kind: 'TCP', exclusive: true, settings: { host: '10.0.0.1', port: 4059 } } });
      assert.equal(ch.statusCode, 201);
      const dup = await h.call('Operator', { method: 'POST', url: `${base}/channels`, payload: { name: 'TCP-1', kind: 'TCP', settings: { host: '10.0.0.1', port: 4059 } } });
      assert.deepEqual([dup.statusCode, dup.json().error.code, dup.json().error.field], [409, 'ALREADY_EXISTS', 'body.name']);
      const pr = await h.call('Operator', { method: 'POST', url: `${base}/protocols`, payload: { name: 'dlms-16', kind: 'DLMS', settings: { password: '1234567812345678', encryptionKey: '000102030405060708090a0b0c0d0e0f', physicalServer: 16 } } });
      assert.equal(pr.statusCode, 201);
      assert.deepEqual(pr.json().secretsSet, ['encryptionKey', 'password']);
      assert.equal(JSON.stringify(pr.json()).includes('1234567812345678'), false, 'secrets never returned');
      const stored = await h.t.db.query<{ settings: unknown; secrets_enc: string }>('SELECT settings, secrets_enc FROM protocols WHERE id = $1', [pr.json().id]);
      assert.equal(JSON.stringify(stored.rows[0]).includes('1234567812345678'), false, 'secrets encrypted at rest');
      assert.match(stored.rows[0].secrets_enc, /^v1\./);
      const dev = await h.call('Operator', { method: 'POST', url: `${base}/devices`, payload: { serialNumber: '013271203304910', type: 'CE307' } });
      assert.equal(dev.statusCode, 201);
      assert.equal(dev.json().source, 'MANUAL');
      const mismatch = await h.call('Operator', { method: 'POST', url: `${base}/comm-lines`, payload: { deviceId: dev.json().id, channelId: ch.json().id, protocolId: pr.json().id, profileId: 'DL_CE_207' } });
      assert.deepEqual([mismatch.statusCode, mismatch.json().error.field], [400, 'body.profileId']);
      const line = await h.call('Operator', { method: 'POST', url: `${base}/comm-lines`, payload: { deviceId: dev.json().id, channelId: ch.json().id, protocolId: pr.json().id, profileId: 'DL_CE_307', protocolMap: 'PROTO_MAP_SPODES_CE307_V10', priority: 1 } });
      assert.equal(line.statusCode, 201);
      const inUse = await h.call('Operator', { method: 'DELETE', url: `${base}/channels/${ch.json().id}` });
      assert.equal(inUse.statusCode, 409);
    });

    it('a UNB comm line carries SMP_M for a meter named by a numeric serial; other protocols and serials are refused naming the field', async () => {
      const post = (path: string, payload: object) => h.call('Operator', { method: 'POST', url: `${base}/${path}`, payload });
      const meter = (await post('devices', { serialNumber: '195000018', type: 'CE207' })).json();
      const named = (await post('devices', { serialNumber: 'UNB-A', type: 'CE207' })).json();
      const dlms = (await post('protocols', { name: 'unb-dlms', kind: 'DLMS', settings: {} })).json();
      const smpm = (await post('protocols', { name: 'unb-smpm', kind: 'SMP_M', settings: {} })).json();
      const ch = await post('channels', { name: 'unb-1', kind: 'UNB', settings: { baseStationId: '9121' } });
      assert.equal(ch.statusCode, 201, ch.body);
      assert.deepEqual(ch.json().settings, { baseStationId: '9121', downlinkPower: 3, downlinkFrequency: 868751400, downlinkBaudRate: 400, downlinkModulation: 'FSK' });
      const wrongProtocol = await post('comm-lines', { deviceId: meter.id, channelId: ch.json().id, protocolId: dlms.id });
      assert.deepEqual([wrongProtocol.statusCode, wrongProtocol.json().error.code, wrongProtocol.json().error.field], [400, 'PROTOCOL_MISMATCH', 'body.protocolId']);
      const wrongSerial = await post('comm-lines', { deviceId: named.id, channelId: ch.json().id, protocolId: smpm.id });
      assert.deepEqual([wrongSerial.statusCode, wrongSerial.json().error.field], [400, 'body.deviceId']);
      assert.match(wrongSerial.json().error.message, /serial UNB-A/);
      const line = await post('comm-lines', { deviceId: meter.id, channelId: ch.json().id, protocolId: smpm.id, profileId: 'DL_CE_207_SMP_M' });
      assert.equal(line.statusCode, 201, line.body);
      const badSettings = await post('channels', { name: 'unb-2', kind: 'UNB', settings: { downlinkModulation: 'LoRa' } });
      assert.equal(badSettings.statusCode, 400);
      assert.match(badSettings.json().error.field, /downlinkModulation/);
    });

    it('refuses lost updates with ETag / If-Match', async () => {
      const dev = await h.call('Operator', { method: 'POST', url: `${base}/devices`, payload: { serialNumber: 'etag-1', type: 'CE208' } });
      const id = dev.json().id;
      const got = await h.call('Operator', { method: 'GET', url: `${base}/devices/${id}` });
      assert.equal(got.headers.etag, '"1"');
      const first = await h.call('Operator', { method: 'PATCH', url: `${base}/devices/${id}`, headers: { 'if-match': '"1"' }, payload: { status: 'STOCK' } });
      assert.deepEqual([first.statusCode, first.headers.etag], [200, '"2"']);
      const stale = await h.call('Operator', { method: 'PATCH', url: `${base}/devices/${id}`, headers: { 'if-match': '"1"' }, payload: { enabled: false } });
      assert.deepEqual([stale.statusCode, stale.json().error.code], [412, 'VERSION_CONFLICT']);
    });

    it('keeps exactly one default group; deleting a group moves its devices to the default', async () => {
      const groups = (await h.call('Operator', { method: 'GET', url: `${base}/groups` })).json().items;
      const def = groups.find((g: { isDefault: boolean }) => g.isDefault);
      assert.ok(def);
      const g2 = (await h.call('Operator', { method: 'POST', url: `${base}/groups`, payload: { name: 'Три фазы', isDefault: true } })).json();
      const after1 = (await h.call('Operator', { method: 'GET', url: `${base}/groups?isDefault=true` })).json();
      assert.deepEqual(after1.items.map((g: { id: string }) => g.id), [g2.id]);
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${base}/groups/${g2.id}` })).json().error.code, 'DEFAULT_GROUP_REQUIRED');
      await h.call('Operator', { method: 'PATCH', url: `${base}/groups/${def.id}`, payload: { isDefault: true } });
      const d = (await h.call('Operator', { method: 'POST', url: `${base}/devices`, payload: { serialNumber: 'g-1', type: 'CE207', groupId: g2.id } })).json();
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${base}/groups/${g2.id}` })).statusCode, 204);
      assert.equal((await h.call('Operator', { method: 'GET', url: `${base}/devices/${d.id}` })).json().groupId, def.id);
      const ev = (await h.call('Operator', { method: 'GET', url: '/api/v1/events/general?code=SET_DEVICE_GROUP_REMOVE' })).json();
      assert.equal(ev.items[0].username, 'u-operator');
    });

    it('lists with pagination, sorting and filters', async () => {
      for (let i = 0; i < 5; i++) await h.call('Operator', { method: 'POST', url: `${base}/devices`, payload: { serialNumber: `page-${i}`, type: 'CE308' } });
      const r = (await h.call('User', { method: 'GET', url: `${base}/devices?serialNumber=page-&sort=serialNumber&order=desc&limit=2&offset=1` })).json();
      assert.equal(r.total, 5);
      assert.deepEqual(r.items.map((d: { serialNumber: string }) => d.serialNumber), ['page-3', 'page-2']);
      const bad = await h.call('User', { method: 'GET', url: `${base}/devices?sort=nope` });
      assert.equal(bad.json().error.field, 'querystring.sort');
    });

    it('isolates projects: members of one project never see another project\'s rows', async () => {
      const other = (await h.call('Administrator', { method: 'POST', url: '/api/v1/projects', payload: { name: 'Other' } })).json();
      const otherBase = `/api/v1/projects/${other.id}`;
      const dev = await h.call('Administrator', { method: 'POST', url: `${otherBase}/devices`, payload: { serialNumber: 'secret-1', type: 'CE207' } });
      assert.equal(dev.statusCode, 201);
      for (const role of ['Operator', 'User', 'Project Manager', 'M2M']) {
        const r = await h.call(role, { method: 'GET', url: `${otherBase}/devices` });
        assert.deepEqual([r.statusCode, r.json().error.code], [404, 'PROJECT_NOT_FOUND'], role);
      }
      // Addressing the other project's row through one's own project finds nothing.
      const cross = await h.call('Operator', { method: 'GET', url: `${base}/devices/${dev.json().id}` });
      assert.equal(cross.statusCode, 404);
      const cross2 = await h.call('Operator', { method: 'PATCH', url: `${base}/devices/${dev.json().id}`, payload: { enabled: false } });
      assert.equal(cross2.statusCode, 404);
      const list = (await h.call('Operator', { method: 'GET', url: `${base}/devices?limit=1000` })).json();
      assert.equal(list.items.some((d: { serialNumber: string }) => d.serialNumber === 'secret-1'), false);
      const projects = (await h.call('Operator', { method: 'GET', url: '/api/v1/projects' })).json();
      assert.deepEqual(projects.items.map((p: { name: string }) => p.name), ['Main']);
      // A comm line cannot join rows of two projects.
      const ch = (await h.call('Administrator', { method: 'POST', url: `${otherBase}/channels`, payload: { name: 'x', kind: 'TCP', settings: { host: 'h', port: 1 } } })).json();
      const pr = (await h.call('Operator', { method: 'POST', url: `${base}/protocols`, payload: { name: 'iso', kind: 'DLMS' } })).json();
      const mine = (await h.call('Operator', { method: 'POST', url: `${base}/devices`, payload: { serialNumber: 'iso-1', type: 'CE207' } })).json();
      const line = await h.call('Operator', { method: 'POST', url: `${base}/comm-lines`, payload: { deviceId: mine.id, channelId: ch.id, protocolId: pr.id } });
      assert.deepEqual([line.statusCode, line.json().error.field], [409, 'body.channelId']);
      // Adding the operator to the project opens it.
      const opId = (await h.call('Operator', { method: 'GET', url: '/api/v1/auth/me' })).json().id;
      await h.call('Administrator', { method: 'PUT', url: `${otherBase}/members/${opId}` });
      assert.equal((await h.call('Operator', { method: 'GET', url: `${otherBase}/devices` })).json().total, 1);
    });

    it('serves health, readiness, metrics and the OpenAPI document', async () => {
      assert.equal((await h.app.inject({ url: '/health' })).json().status, 'ok');
      assert.equal((await h.app.inject({ url: '/ready' })).json().engine, engine);
      // /metrics asks for a credential with Read.HesConfig (issue 14 §8): the private listener is the way without one.
      assert.equal((await h.call(null, { method: 'GET', url: '/metrics' })).statusCode, 401);
      for (const role of ['M2M', 'Subscriber'] as const) assert.equal((await h.call(role, { method: 'GET', url: '/metrics' })).statusCode, 403, role);
      for (const role of ['Administrator', 'Operator', 'User', 'Project Manager'] as const) {
        const scraped = await h.call(role, { method: 'GET', url: '/metrics' });
        assert.equal(scraped.statusCode, 200, role);
        assert.match(scraped.body, /hes_http_requests_total\{method="GET",route="\/metrics",status="401"\} 1/);
      }
      const doc = (await h.app.inject({ url: '/docs/json' })).json();
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/api/v1/projects/{projectId}/devices'].post.requestBody);
      const archives = (await h.call('Operator', { method: 'GET', url: '/api/v1/archives?limit=100' })).json();
      assert.equal(archives.total, 14);
    });
  });
}
