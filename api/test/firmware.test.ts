/**
 * Firmware updates through the API: containers uploaded as the body (stored once by SHA-256, downloaded as
 * sent, deleted only while unused), updates added stopped and started, campaigns with progress per wave,
 * pause / resume / cancel, the general events. Bad input is a 4xx naming the field and starts nothing.
 * Per role: Administrator, Project Manager and Operator read and write (seed 003 table 1), User and M2M
 * neither. (The transfers themselves run in scheduler/firmware.test.ts against the simulator.)
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ENGINES } from '../../registry/testing.js';
import { registerFleet } from '../../cli/demo.js';
import { DEFAULT_FLEET, Fleet } from '../../sim/fleet.js';
import { startHarness, type Harness } from './harness.js';

const IMAGE = Buffer.from(Uint8Array.from({ length: 5000 }, (_, i) => (i * 13) & 0xff));
const SHA = createHash('sha256').update(IMAGE).digest('hex');
const OCTETS = { 'content-type': 'application/octet-stream' };
const query = (q: Record<string, string | number>) => new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)] as [string, string])).toString();
const META = { name: 'ce308 13.0.0.bin', vendor: 'Energomera', deviceTypes: 'CE308', version: '13.0.0', imageIdentifier: 'CE308-13.0.0' };

for (const engine of ENGINES) {
  describe(`firmware API (${engine})`, () => {
    let h: Harness;
    let base: string;
    let devices: string[];
    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}/firmware`;
      devices = await registerFleet(h.t.db, h.box, h.projectId, new Fleet({ ...DEFAULT_FLEET, meters: 4 }), '127.0.0.1', 9);
    });
    after(async () => {
      await h.close();
    });

    const upload = (role: string, q: Record<string, string | number>, body: Buffer = IMAGE) =>
      h.call(role, { method: 'POST', url: `${base}/images?${query(q)}`, headers: OCTETS, payload: body });

    it('uploads a container once by its SHA-256, lists, downloads and deletes it while unused; by role', async () => {
      for (const role of ['User', 'M2M']) {
        assert.equal((await upload(role, META)).statusCode, 403, role);
        assert.equal((await h.call(role, { method: 'GET', url: `${base}/images` })).statusCode, 403, role);
      }
      const created = await upload('Operator', { ...META, size: IMAGE.length, sha256: SHA });
      assert.equal(created.statusCode, 201, created.body);
      const image = created.json();
      assert.deepEqual([image.sha256, image.size, image.deviceTypes, image.imageIdentifier, image.signature], [SHA, IMAGE.length, ['CE308'], 'CE308-13.0.0', null]);
      const again = await upload('Administrator', { ...META, name: 'copy.bin' });
      assert.deepEqual([again.statusCode, again.json().id], [200, image.id], 'the same bytes: the same container');
      assert.equal((await h.t.db.query('SELECT 1 FROM firmware_blobs WHERE sha256 = $1', [SHA])).rows.length, 1);
      const list = await h.call('Project Manager', { method: 'GET', url: `${base}/images` });
      assert.deepEqual([list.statusCode, list.json().total], [200, 1]);
      const got = await h.call('Operator', { method: 'GET', url: `${base}/images/${image.id}/content` });
      assert.equal(got.statusCode, 200);
      assert.equal(got.headers['x-content-sha256'], SHA);
      assert.ok(got.rawPayload.equals(IMAGE));
      const signed = await upload('Administrator', { ...META, imageIdentifier: '0x0102ff', signature: 'abcd' }, Buffer.from('other bytes'));
      assert.deepEqual([signed.statusCode, signed.json().imageIdentifier, signed.json().signature], [201, '0x0102ff', 'abcd']);
      assert.equal((await h.call('User', { method: 'DELETE', url: `${base}/images/${signed.json().id}` })).statusCode, 403);
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${base}/images/${signed.json().id}` })).statusCode, 204);
      const events = await h.t.db.query<{ code: string }>(`SELECT code FROM events WHERE code LIKE 'SET_FIRMWARE_IMAGE_%' ORDER BY id`);
      assert.deepEqual(events.rows.map((e) => e.code), ['SET_FIRMWARE_IMAGE_ADD', 'SET_FIRMWARE_IMAGE_ADD', 'SET_FIRMWARE_IMAGE_REMOVE']);
    });

    it('refuses bad uploads naming the field', async () => {
      const bad = async (q: Record<string, string | number>, body: Buffer, status: number, field: string) => {
        const r = await upload('Operator', q, body);
        assert.deepEqual([r.statusCode, r.json().error.field], [status, field], r.body);
      };
      await bad({ ...META, size: IMAGE.length + 10 }, IMAGE, 400, 'querystring.size');
      await bad({ ...META, sha256: SHA }, IMAGE.subarray(0, 4000), 400, 'querystring.sha256');
      await bad({ ...META, deviceTypes: 'CE999' }, IMAGE, 400, 'querystring.deviceTypes');
      await bad({ ...META, imageIdentifier: 'tab\there' }, IMAGE, 400, 'querystring.imageIdentifier');
      await bad({ name: 'x', vendor: 'y', deviceTypes: 'CE308', version: '1' }, IMAGE, 400, 'querystring.imageIdentifier');
      await bad(META, Buffer.alloc(0), 400, 'body');
      const big = await upload('Operator', META, Buffer.alloc(2 * 1024 * 1024 + 10));
      assert.equal(big.statusCode, 413);
      const json = await h.call('Operator', { method: 'POST', url: `${base}/images?${query(META)}`, payload: { image: 'x' } });
      assert.deepEqual([json.statusCode, json.json().error.field], [415, 'body']);
    });

    it('adds updates stopped, starts and stops them, and refuses devices the container is not for; a container in use is not deleted', async () => {
      const image = (await h.call('Operator', { method: 'GET', url: `${base}/images` })).json().items[0];
      const other = (await upload('Operator', { ...META, deviceTypes: 'CE207', imageIdentifier: 'CE207-1' }, Buffer.from('ce207 image'))).json();
      const wrong = await h.call('Operator', { method: 'POST', url: `${base}/updates`, payload: { imageId: other.id, deviceIds: [devices[0]] } });
      assert.deepEqual([wrong.statusCode, wrong.json().error.field], [400, 'body.deviceIds']);
      assert.match(wrong.json().error.message, /is a CE308; the container is for CE207/);
      const noImage = await h.call('Operator', { method: 'POST', url: `${base}/updates`, payload: { imageId: devices[0], deviceIds: [devices[0]] } });
      assert.deepEqual([noImage.statusCode, noImage.json().error.field], [400, 'body.imageId']);
      const badSettings = await h.call('Operator', { method: 'POST', url: `${base}/updates`, payload: { imageId: image.id, deviceIds: [devices[0]], settings: { attempts: 0 } } });
      assert.deepEqual([badSettings.statusCode, badSettings.json().error.field], [400, 'body.settings.attempts']);
      assert.equal((await h.t.db.query('SELECT 1 FROM firmware_updates')).rows.length, 0, 'nothing added');

      assert.equal((await h.call('User', { method: 'POST', url: `${base}/updates`, payload: { imageId: image.id, deviceIds: [devices[0]] } })).statusCode, 403);
      const added = await h.call('Operator', { method: 'POST', url: `${base}/updates`, payload: { imageId: image.id, deviceIds: [devices[0], devices[1]], settings: { attempts: 2, maxPdu: 128 } } });
      assert.equal(added.statusCode, 201, added.body);
      const ids = added.json().items.map((u: { id: string; state: string }) => u.id);
      assert.deepEqual(added.json().items.map((u: { state: string; progress: number }) => [u.state, u.progress]), [['stopped', 0], ['stopped', 0]]);
      const twice = await h.call('Operator', { method: 'POST', url: `${base}/updates`, payload: { imageId: image.id, deviceIds: [devices[0]] } });
      assert.deepEqual([twice.statusCode, twice.json().error.field], [409, 'body.deviceIds']);
      const started = await h.call('Operator', { method: 'POST', url: `${base}/updates/start`, payload: { ids } });
      assert.deepEqual(started.json().changed.sort(), [...ids].sort());
      const one = await h.call('Operator', { method: 'GET', url: `${base}/updates/${ids[0]}` });
      assert.deepEqual([one.json().state, one.json().settings], ['running', { attempts: 2, maxPdu: 128 }]);
      const stats = await h.call('Operator', { method: 'GET', url: `${base}/updates/statistics` });
      assert.deepEqual([stats.json().total, stats.json().running], [2, 2]);
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${base}/updates/${ids[0]}` })).statusCode, 409, 'running: stop first');
      const stopped = await h.call('Operator', { method: 'POST', url: `${base}/updates/stop`, payload: { ids: [ids[0]] } });
      assert.deepEqual(stopped.json().changed, [ids[0]]);
      const history = await h.call('Operator', { method: 'GET', url: `${base}/history?updateId=${ids[0]}` });
      assert.deepEqual(history.json().items.map((e: { state: string }) => e.state), ['stopped', 'running', 'stopped']);
      const inUse = await h.call('Administrator', { method: 'DELETE', url: `${base}/images/${image.id}` });
      assert.deepEqual([inUse.statusCode, inUse.json().error.code], [409, 'IN_USE']);
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${base}/updates/${ids[0]}` })).statusCode, 204);
      await h.call('Operator', { method: 'POST', url: `${base}/updates/stop`, payload: { ids } });
    });

    it('campaigns: waves by percent and count, progress per wave, pause / resume / cancel; bad input names the field', async () => {
      const image = (await upload('Operator', { ...META, version: '13.5.0', imageIdentifier: 'CE308-13.5.0' }, Buffer.from('campaign image bytes'))).json();
      const body = { name: 'Rollout', imageId: image.id, deviceIds: devices.slice(2, 4), waves: [{ count: 1 }, { percent: 100 }], successThreshold: 0.9, errorThreshold: 0.1, maxParallel: 10, window: { from: '22:00', to: '06:00' } };
      const bad = async (payload: object, field: string) => {
        const r = await h.call('Operator', { method: 'POST', url: `${base}/campaigns`, payload });
        assert.deepEqual([r.statusCode, r.json().error.field], [400, field], r.body);
      };
      await bad({ ...body, waves: [] }, 'body.waves');
      await bad({ ...body, successThreshold: 2 }, 'body.successThreshold');
      await bad({ ...body, window: { from: '25:00', to: '06:00' } }, 'body.window.from');
      await bad({ ...body, deviceIds: [] }, 'body.deviceIds');
      assert.equal((await h.t.db.query('SELECT 1 FROM firmware_campaigns')).rows.length, 0);
      assert.equal((await h.call('User', { method: 'POST', url: `${base}/campaigns`, payload: body })).statusCode, 403);
      const created = await h.call('Operator', { method: 'POST', url: `${base}/campaigns`, payload: body });
      assert.equal(created.statusCode, 201, created.body);
      const c = created.json();
      assert.deepEqual([c.state, c.window, c.progress.total], ['running', { from: '22:00', to: '06:00' }, 2]);
      assert.deepEqual(c.progress.waves.map((w: { wave: number; total: number; running: number; stopped: number }) => [w.wave, w.total, w.running, w.stopped]), [[1, 1, 1, 0], [2, 1, 0, 1]]);
      const waiting = (await h.call('Operator', { method: 'GET', url: `${base}/updates?campaignId=${c.id}&state=stopped` })).json().items;
      assert.deepEqual(waiting.map((u: { wave: number }) => u.wave), [1]);
      const early = await h.call('Operator', { method: 'POST', url: `${base}/updates/start`, payload: { ids: [waiting[0].id] } });
      assert.deepEqual(early.json().changed, [], 'a later wave does not start by hand');
      const paused = await h.call('Operator', { method: 'POST', url: `${base}/campaigns/${c.id}/pause` });
      assert.equal(paused.json().state, 'paused');
      assert.equal((await h.call('Operator', { method: 'POST', url: `${base}/campaigns/${c.id}/pause` })).statusCode, 409);
      assert.equal((await h.call('Operator', { method: 'POST', url: `${base}/campaigns/${c.id}/resume` })).json().state, 'running');
      const cancelled = await h.call('Administrator', { method: 'POST', url: `${base}/campaigns/${c.id}/cancel` });
      assert.deepEqual([cancelled.json().state, cancelled.json().progress.running], ['cancelled', 0]);
      const list = await h.call('Operator', { method: 'GET', url: `${base}/campaigns` });
      assert.deepEqual([list.json().total, list.json().items[0].id], [1, c.id]);
      const byCampaign = await h.call('Operator', { method: 'GET', url: `${base}/updates?campaignId=${c.id}` });
      assert.equal(byCampaign.json().total, 2);
      const events = await h.t.db.query<{ code: string }>(`SELECT code FROM events WHERE code LIKE 'SET_FIRMWARE_CAMPAIGN_%' ORDER BY id`);
      assert.deepEqual(events.rows.map((e) => e.code), ['SET_FIRMWARE_CAMPAIGN_ADD', 'SET_FIRMWARE_CAMPAIGN_PAUSE', 'SET_FIRMWARE_CAMPAIGN_RESUME', 'SET_FIRMWARE_CAMPAIGN_CANCEL']);
    });
  });
}
