/**
 * Device profiles through the API: the shipped ones listed and read-only; a custom profile copied from one,
 * validated against the published schema (422 naming every bad path), versioned (If-Match), pinned by a comm
 * line, refused deletion while in use; each route as the roles that may and may not call it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { startHarness, type Harness } from './harness.js';

for (const engine of ENGINES) {
  describe(`device profiles API (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(engine);
    });
    after(() => h.close());
    const url = '/api/v1/device-profiles';

    it('lists the shipped profiles at version 1, read-only, with the schema they follow', async () => {
      const list = await h.call('User', { method: 'GET', url: `${url}?builtin=true&limit=100` });
      assert.equal(list.statusCode, 200, list.body);
      const ids = (list.json().items as { id: string; version: number; builtin: boolean }[]).map((p) => `${p.id} v${p.version}`);
      assert.deepEqual(ids, ['DL_CE_207', 'DL_CE_207_SMP_M', 'DL_CE_208', 'DL_CE_307', 'DL_CE_307_SMP_M', 'DL_CE_308', 'DL_CE_510', 'DL_IDIS', 'LORAWAN_OBIS_TLV', 'MBUS_GAS', 'MBUS_HEAT', 'MBUS_WATER'].map((id) => `${id} v1`));
      const one = await h.call('M2M', { method: 'GET', url: `${url}/DL_CE_308` });
      assert.deepEqual([one.statusCode, one.headers.etag, one.json().builtin, one.json().body.archives['profile-30'].obis], [200, '"1"', true, '1.0.99.1.0.255']);
      const schema = await h.call('User', { method: 'GET', url: `${url}/schema` });
      assert.deepEqual(schema.json().required, ['id', 'name', 'deviceTypes', 'protocol', 'protocolMaps']);
      const versions = await h.call('User', { method: 'GET', url: `${url}/DL_CE_308/versions` });
      assert.deepEqual(versions.json().items.map((v: { version: number; createdBy: string | null }) => [v.version, v.createdBy]), [[1, null]]);

      const edit = await h.call('Administrator', { method: 'POST', url: `${url}/DL_CE_308/versions`, payload: one.json().body });
      assert.deepEqual([edit.statusCode, edit.json().error.code], [409, 'BUILTIN_PROFILE']);
      const del = await h.call('Administrator', { method: 'DELETE', url: `${url}/DL_CE_308` });
      assert.deepEqual([del.statusCode, del.json().error.code], [409, 'BUILTIN_PROFILE']);
      assert.equal((await h.call('User', { method: 'GET', url: `${url}/NO_SUCH` })).statusCode, 404);
      assert.equal((await h.call('User', { method: 'GET', url: `${url}/DL_CE_308/versions/2` })).statusCode, 404);
    });

    it('refuses an invalid profile with 422, naming every bad path', async () => {
      const bad = {
        id: 'MY METER', name: 'x', deviceTypes: ['CE308'], protocol: 'DLMS', protocolMaps: [], colour: 'red',
        archives: { 'end-of-day': { obis: '1.0.98.2.0', classId: 7 } },
        journals: { voltage: { obis: '0.0.99.98.0.255', codes: 'spodes-voltage' } },
        dlms: { hdlc: { windowRx: 9 }, deviationSign: 'backwards' },
      };
      const r = await h.call('Operator', { method: 'POST', url, payload: bad });
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'PROFILE_INVALID');
      assert.deepEqual(r.json().errors.map((e: { field: string }) => e.field).sort(), [
        'body.archives["end-of-day"].attribute', 'body.archives["end-of-day"].obis', 'body.colour', 'body.dlms.deviationSign', 'body.dlms.hdlc.windowRx', 'body.id',
      ]);
      assert.equal(r.json().error.field, r.json().errors[0].field);
      // What the schema cannot say: an event code table and an M-Bus quantity that do not exist.
      const semantic = await h.call('Operator', {
        method: 'POST', url,
        payload: { id: 'MY_METER', name: 'x', deviceTypes: ['CE308'], protocol: 'DLMS', protocolMaps: [], journals: { voltage: { obis: '0.0.99.98.0.255', codes: 'no-such-table' } }, mbus: { records: [{ quantity: 'colour', obis: '8.0.1.0.0.255' }] } },
      });
      assert.equal(semantic.statusCode, 422, semantic.body);
      assert.deepEqual(semantic.json().errors.map((e: { field: string }) => e.field), ['body.journals.voltage.codes', 'body.mbus.records[0].quantity']);
      assert.equal((await h.call('Operator', { method: 'GET', url: `${url}/MY_METER` })).statusCode, 404, 'nothing was stored');
    });

    it('copies a shipped profile, adds versions, lets a comm line pin one, and deletes it once unused', async () => {
      const copy = await h.call('Operator', { method: 'POST', url: `${url}/DL_CE_307/copy`, payload: { id: 'CE307_SITE_A', name: 'CE307 with slow modems' } });
      assert.equal(copy.statusCode, 201, copy.body);
      assert.deepEqual([copy.json().builtin, copy.json().version, copy.json().body.id, copy.headers.location], [false, 1, 'CE307_SITE_A', `${url}/CE307_SITE_A`]);
      const again = await h.call('Operator', { method: 'POST', url: `${url}/DL_CE_307/copy`, payload: { id: 'CE307_SITE_A' } });
      assert.deepEqual([again.statusCode, again.json().error.field], [409, 'body.id']);

      const body = { ...copy.json().body, dlms: { hdlc: { maxInfoRx: 256, maxInfoTx: 256 }, ignoreInvokeIdMismatch: true } };
      const stale = await h.call('Operator', { method: 'POST', url: `${url}/CE307_SITE_A/versions`, headers: { 'if-match': '"7"' }, payload: body });
      assert.deepEqual([stale.statusCode, stale.json().error.code], [412, 'VERSION_CONFLICT']);
      const otherId = await h.call('Operator', { method: 'POST', url: `${url}/CE307_SITE_A/versions`, payload: { ...body, id: 'OTHER' } });
      assert.deepEqual([otherId.statusCode, otherId.json().error.field], [422, 'body.id']);
      const v2 = await h.call('Operator', { method: 'POST', url: `${url}/CE307_SITE_A/versions`, headers: { 'if-match': '"1"' }, payload: body });
      assert.equal(v2.statusCode, 201, v2.body);
      assert.deepEqual([v2.json().version, v2.headers.etag, v2.json().body.dlms.hdlc.maxInfoRx], [2, '"2"', 256]);
      const versions = await h.call('User', { method: 'GET', url: `${url}/CE307_SITE_A/versions` });
      assert.deepEqual(versions.json().items.map((v: { version: number; createdBy: string }) => [v.version, v.createdBy]), [[1, 'u-operator'], [2, 'u-operator']]);
      const first = await h.call('User', { method: 'GET', url: `${url}/CE307_SITE_A/versions/1` });
      assert.equal(first.json().body.dlms, undefined, 'a version never changes');

      // A comm line names the profile and, optionally, a version of it.
      const base = `/api/v1/projects/${h.projectId}`;
      const post = async (path: string, payload: object) => {
        const r = await h.call('Operator', { method: 'POST', url: `${base}/${path}`, payload });
        assert.equal(r.statusCode, 201, r.body);
        return r.json() as { id: string; profileVersion?: number | null };
      };
      const ch = await post('channels', { name: 'site A', kind: 'TCP', settings: { host: '10.0.0.1', port: 4059 } });
      const pr = await post('protocols', { name: 'site A public', kind: 'DLMS', settings: { physicalServer: 16 } });
      const dev = await post('devices', { serialNumber: '0001', type: 'CE307' });
      const lineBody = { deviceId: dev.id, channelId: ch.id, protocolId: pr.id, profileId: 'CE307_SITE_A' };
      const noVersion = await h.call('Operator', { method: 'POST', url: `${base}/comm-lines`, payload: { ...lineBody, profileVersion: 3 } });
      assert.deepEqual([noVersion.statusCode, noVersion.json().error.field], [400, 'body.profileVersion']);
      const line = await post('comm-lines', { ...lineBody, profileVersion: 1 });
      assert.equal(line.profileVersion, 1);

      const inUse = await h.call('Project Manager', { method: 'DELETE', url: `${url}/CE307_SITE_A` });
      assert.deepEqual([inUse.statusCode, inUse.json().error.code], [409, 'PROFILE_IN_USE']);
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${base}/comm-lines/${line.id}` })).statusCode, 204);
      assert.equal((await h.call('Project Manager', { method: 'DELETE', url: `${url}/CE307_SITE_A` })).statusCode, 204);
      assert.equal((await h.call('User', { method: 'GET', url: `${url}/CE307_SITE_A/versions` })).statusCode, 404);
      const audited = await h.t.db.query<{ code: string }>(`SELECT code FROM events WHERE code LIKE 'SET_DEVICE_PROFILE_%' AND params->>'id' = 'CE307_SITE_A' ORDER BY id`);
      assert.deepEqual(audited.rows.map((e) => e.code), ['SET_DEVICE_PROFILE_ADD', 'SET_DEVICE_PROFILE_UPDATE', 'SET_DEVICE_PROFILE_REMOVE']);
    });

    it('reads for Read.Devices, writes for Write.HesConfig, deletes for Delete.HesConfig', async () => {
      const payload = { id: 'ROLE_TEST', name: 'role test', deviceTypes: ['MBUS'], protocol: 'MBUS', protocolMaps: ['PROTO_MAP_OMS'], mbus: { records: [{ quantity: 'volume', obis: '8.0.1.0.0.255' }] } };
      for (const role of ['User', 'M2M', 'Subscriber']) {
        const r = await h.call(role, { method: 'POST', url, payload });
        assert.deepEqual([r.statusCode, r.json().error.code], [403, 'FORBIDDEN'], role);
      }
      assert.equal((await h.call('Subscriber', { method: 'GET', url })).statusCode, 403);
      assert.equal((await h.call('Operator', { method: 'POST', url, payload })).statusCode, 201);
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${url}/ROLE_TEST` })).statusCode, 403, 'Operator has no Delete.HesConfig');
      assert.equal((await h.call('Administrator', { method: 'DELETE', url: `${url}/ROLE_TEST` })).statusCode, 204);
    });
  });
}
