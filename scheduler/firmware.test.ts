/**
 * Firmware updates and campaigns run by the FirmwareRunner against the fleet simulator over TCP (HLS-GMAC),
 * with the registry in PGlite: a campaign of 100 meters in 3 waves with 10 faulty ones; a campaign stopped by
 * its error share; a runner killed mid-transfer (no record written, lease left) and another that takes the
 * update over and goes on from the meter's transferred-blocks status; a meter waiting for its collection;
 * refusals of bad input that start nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createProject } from '../registry/project-data.js';
import { RegistryError } from '../registry/errors.js';
import { addImage, addUpdates, createCampaign, getCampaign, getUpdate, listUpdates, setUpdatesRunning, updateHistory } from '../registry/firmware.js';
import { startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';
import { registerFleet } from '../cli/demo.js';
import { IMAGE_BLOCK_SIZE } from '../sim/objects/control.js';
import { RegistryInvocationCounterStore } from './counters.js';
import { DlmsDeviceReader } from './dlms-reader.js';
import { FirmwareRunner } from './firmware.js';
import { ChannelScheduler } from '../ingest/channels/scheduler.js';
import type { SessionGate } from './reader.js';

const METERS = 110;
/** Meters 0..99 are the campaign's; every tenth of them (5, 15, ..., 95) is faulty: odd tens reject the image, even ones do not start it. */
const FAULTY = Array.from({ length: 10 }, (_, k) => 5 + 10 * k);
const serial = (i: number) => String(30800001 + i);
const image = (bytes: number, seed = 1) => Buffer.from(Uint8Array.from({ length: bytes }, (_, i) => (i * 31 + seed) & 0xff));

describe('Firmware updates and campaigns against the simulator', { timeout: 300_000 }, () => {
  let t: TestDb, sim: SimMeters, ids: string[], projectId: string, reader: DlmsDeviceReader, box: SecretBox;
  const runner = (o: Partial<ConstructorParameters<typeof FirmwareRunner>[0]> = {}) =>
    new FirmwareRunner({ db: t.db, reader, pollMs: 20, heartbeatMs: 50, leaseMs: 400, retryDelayMs: 50, collectionWaitMs: 50, restartWaitMs: 50, verifyPollMs: 5, concurrency: 50, ...o });
  const upload = async (version: string, bytes: number, seed = 1) =>
    String((await addImage(t.db, projectId, { name: `ce308-${version}.bin`, vendor: 'Energomera', deviceTypes: ['CE308'], version, imageIdentifier: `CE308-${version}` }, image(bytes, seed), null)).image.id);

  before(async () => {
    t = await openTestDb('pglite');
    box = new SecretBox(Buffer.alloc(32, 3));
    sim = await startSimMeters({
      framing: 'wrapper',
      fleet: {
        meters: METERS, profile: 'ce308',
        faults: [
          { serials: FAULTY.filter((_, k) => k % 2 === 0).map(serial), imageRejected: true },
          { serials: FAULTY.filter((_, k) => k % 2 === 1).map(serial), imageBad: true },
          { serials: [serial(100)], latencyMs: 2 },
          { serials: [101, 102, 103, 104, 105].map(serial), imageRejected: true },
        ],
      },
    });
    projectId = String((await createProject(t.db, { name: 'Firmware' }, null)).id);
    ids = await registerFleet(t.db, box, projectId, sim.fleet, '127.0.0.1', sim.port);
    reader = new DlmsDeviceReader({ db: t.db, box, counters: new RegistryInvocationCounterStore(t.db) });
  });
  after(async () => {
    await sim.close();
    await t.drop();
  });

  it('a campaign of 100 meters in 3 waves: 90 succeed, the 10 faulty ones end in error with the meter\'s reason, waves open in turn', async () => {
    const imageId = await upload('13.0.0', 4000);
    const c = await createCampaign(t.db, projectId, {
      name: 'Spring rollout', imageId, deviceIds: ids.slice(0, 100), waves: [{ percent: 10 }, { percent: 30 }, { percent: 60 }],
      successThreshold: 0.85, errorThreshold: 0.2, maxParallel: 20, settings: { attempts: 3 },
    }, null);
    assert.deepEqual((c.progress as { waves: { wave: number; total: number; running: number; stopped: number }[] }).waves.map((w) => [w.wave, w.total, w.running, w.stopped]),
      [[1, 10, 10, 0], [2, 30, 0, 30], [3, 60, 0, 60]]);
    const r = runner();
    await r.drain(240_000);
    const done = await getCampaign(t.db, projectId, String(c.id));
    assert.equal(done.state, 'finished', String(done.note));
    const p = done.progress as { success: number; error: number; waves: { wave: number; success: number; error: number }[] };
    assert.equal(p.success, 90);
    assert.equal(p.error, 10);
    assert.deepEqual(p.waves.map((w) => [w.success, w.error]), [[9, 1], [27, 3], [54, 6]]);
    for (let i = 0; i < 100; i++) {
      const version = sim.fleet.meter(i).state.firmware;
      assert.equal(version, FAULTY.includes(i) ? null : '13.0.0', `meter ${i}`);
    }
    const updates = (await listUpdates(t.db, projectId, { campaignId: String(c.id) }, 1000, 0)).items;
    for (const u of updates) {
      const i = ids.indexOf(String(u.deviceId));
      if (!FAULTY.includes(i)) {
        assert.equal(u.state, 'success');
        assert.equal(u.versionBefore, '12.1.0');
        assert.equal(u.versionAfter, '13.0.0');
        assert.equal(u.blocksSent, Math.ceil(4000 / IMAGE_BLOCK_SIZE));
        continue;
      }
      assert.equal(u.state, 'error');
      // Rejected at verification (other-reason), or verified but not started (hardware-fault, activation failed): the meter's words.
      if (FAULTY.indexOf(i) % 2 === 0) assert.match(String(u.note), /rejected the image at verification: other-reason/);
      else assert.match(String(u.note), /did not activate the image: hardware-fault.*activation failed/);
    }
    const waves = await t.db.query<{ params: { wave: number } }>(`SELECT params FROM events WHERE code = 'FIRMWARE_CAMPAIGN_WAVE' AND project_id = $1 ORDER BY id`, [projectId]);
    assert.deepEqual(waves.rows.map((e) => e.params.wave), [2, 3]);
    const history = (await updateHistory(t.db, projectId, { deviceId: ids[0]! }, 100, 0)).items.reverse();
    assert.deepEqual(history.filter((h) => h.action).map((h) => h.action), ['version-query', 'initiate', 'send-blocks', 'verify', 'activate', 'confirm']);
  });

  it('stops a campaign whose wave is above the error threshold; later waves never start', async () => {
    const imageId = await upload('13.1.0', 1000, 2);
    const c = await createCampaign(t.db, projectId, {
      name: 'Bad batch', imageId, deviceIds: ids.slice(101, 106).concat(ids.slice(106, 110)), waves: [{ count: 5 }, { count: 4 }],
      successThreshold: 0.5, errorThreshold: 0.3, maxParallel: 5,
    }, null);
    await runner().drain(60_000);
    const done = await getCampaign(t.db, projectId, String(c.id));
    assert.equal(done.state, 'stopped');
    assert.match(String(done.note), /wave 1: \d of 5 updates in error, above the threshold 0\.3/);
    const p = done.progress as { waves: { wave: number; stopped: number; success: number }[] };
    assert.deepEqual(p.waves[1], { ...p.waves[1], stopped: 4, success: 0 });
    for (let i = 106; i < 110; i++) assert.equal(sim.fleet.meter(i).state.image, null, `meter ${i} got nothing`);
    const stopped = await t.db.query(`SELECT 1 FROM events WHERE code = 'FIRMWARE_CAMPAIGN_STOPPED' AND params->>'campaignId' = $1`, [c.id]);
    assert.equal(stopped.rows.length, 1);
  });

  it('after the HES dies mid-transfer, another instance goes on from the first missing block: no block sent twice beyond the one in flight', async () => {
    const bytes = 200 * 1024;
    const total = Math.ceil(bytes / IMAGE_BLOCK_SIZE);
    const imageId = await upload('14.0.0', bytes, 3);
    const [u] = await addUpdates(t.db, projectId, imageId, [ids[100]!], { attempts: 3 }, null);
    await setUpdatesRunning(t.db, projectId, [String(u!.id)], true);
    const first = runner({ instanceId: 'hes-a' });
    first.start();
    const meter = () => sim.fleet.meter(100).state.image;
    for (let i = 0; i < 2000 && (meter()?.blockRequests ?? 0) < 200; i++) await new Promise((r) => setTimeout(r, 10));
    first.crash();
    const held = meter()!.blockRequests;
    assert.ok(held >= 200 && held < total, `the meter took ${held} of ${total} blocks before the crash`);
    const mid = await getUpdate(t.db, projectId, String(u!.id));
    assert.equal(mid.state, 'running');
    assert.equal(mid.initiated, true);
    const second = runner({ instanceId: 'hes-b' });
    await second.drain(120_000);
    const after = await getUpdate(t.db, projectId, String(u!.id));
    assert.equal(after.state, 'success', String(after.note));
    assert.equal(sim.fleet.meter(100).state.firmware, '14.0.0');
    assert.ok(meter()!.duplicateBlocks <= 1, `blocks received twice: ${meter()!.duplicateBlocks}`);
    assert.equal(meter()!.blockRequests - meter()!.duplicateBlocks, total);
    const resumed = (await updateHistory(t.db, projectId, { updateId: String(u!.id) }, 100, 0)).items.find((h) => /resumed: the meter holds/.test(String(h.note)));
    assert.ok(resumed, 'the history records the resume');
  });

  it('a meter whose collection launch is running waits, then updates', async () => {
    const imageId = await upload('15.0.0', 800, 4);
    const device = ids[0]!; // updated by the campaign above: a finished update does not block a new one
    const task = await t.db.query<{ id: string }>(
      `INSERT INTO collection_tasks (project_id, name, kind, content) VALUES ($1, 'read', 'one-off', '{}') RETURNING id`, [projectId],
    );
    const launch = await t.db.query<{ id: string }>(
      `INSERT INTO task_launches (project_id, task_id, trigger, priority, state) VALUES ($1, $2, 'one-off', 1, 'running') RETURNING id`, [projectId, task.rows[0]!.id],
    );
    await t.db.query('INSERT INTO launch_devices (launch_id, device_id) VALUES ($1, $2)', [launch.rows[0]!.id, device]);
    const [u] = await addUpdates(t.db, projectId, imageId, [device], {}, null);
    await setUpdatesRunning(t.db, projectId, [String(u!.id)], true);
    const r = runner();
    await r.tick();
    for (let i = 0; i < 100 && (await getUpdate(t.db, projectId, String(u!.id))).state !== 'waiting-collection'; i++) await new Promise((x) => setTimeout(x, 10));
    assert.equal((await getUpdate(t.db, projectId, String(u!.id))).state, 'waiting-collection');
    await t.db.query(`UPDATE task_launches SET state = 'finished' WHERE id = $1`, [launch.rows[0]!.id]);
    await r.drain(30_000);
    assert.equal((await getUpdate(t.db, projectId, String(u!.id))).state, 'success');
  });

  it('holds the channel limit of the session gate and the campaign\'s parallelism; outside its time window a campaign starts nothing', async () => {
    const meters = [20, 21, 22, 23, 24, 26, 27, 28, 29, 30].map((i) => ids[i]!);
    const imageId = await upload('17.0.0', 3000, 6);
    // The collection's gate with at most 3 sessions per channel, counting the sessions it lets run.
    const channels = new ChannelScheduler({ channelLimit: 3 });
    let now = 0, most = 0;
    const counted = (inner: SessionGate): SessionGate => ({
      run: (req, fn) => inner.run(req, async () => {
        most = Math.max(most, ++now);
        try {
          return await fn();
        } finally {
          now--;
        }
      }),
    });
    const a = await createCampaign(t.db, projectId, { name: 'Gate', imageId, deviceIds: meters.slice(0, 5), waves: [{ percent: 100 }], successThreshold: 1, errorThreshold: 0, maxParallel: 5 }, null);
    await runner({ gate: counted(channels) }).drain(60_000);
    assert.equal((await getCampaign(t.db, projectId, String(a.id))).state, 'finished');
    assert.ok(most >= 2 && most <= 3, `sessions at once: ${most}`);
    most = 0;
    const b = await createCampaign(t.db, projectId, { name: 'Two at a time', imageId, deviceIds: meters.slice(5), waves: [{ percent: 100 }], successThreshold: 1, errorThreshold: 0, maxParallel: 2 }, null);
    await runner({ gate: counted({ run: (_req, fn) => fn() }) }).drain(60_000);
    assert.equal((await getCampaign(t.db, projectId, String(b.id))).state, 'finished');
    assert.ok(most >= 1 && most <= 2, `campaign transfers at once: ${most}`);
    // A window that is not now (the project is in UTC): nothing is claimed.
    const hour = new Date().getUTCHours();
    const window = { from: `${String((hour + 2) % 24).padStart(2, '0')}:00`, to: `${String((hour + 3) % 24).padStart(2, '0')}:00` };
    const c = await createCampaign(t.db, projectId, { name: 'Nights', imageId: await upload('17.1.0', 500, 7), deviceIds: [meters[0]!], waves: [{ percent: 100 }], successThreshold: 1, errorThreshold: 0, maxParallel: 1, window }, null);
    const r = runner();
    await r.tick();
    await r.tick();
    const u = (await listUpdates(t.db, projectId, { campaignId: String(c.id) }, 10, 0)).items[0]!;
    assert.deepEqual([u.state, u.startedAt, r.active], ['running', null, 0]);
    await t.db.query(`UPDATE firmware_campaigns SET state = 'cancelled' WHERE id = $1`, [c.id]);
    await t.db.query(`UPDATE firmware_updates SET state = 'stopped' WHERE campaign_id = $1`, [c.id]);
  });

  it('refuses bad input naming the field, and starts nothing', async () => {
    const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM firmware_updates')).rows[0]!.n;
    const imageId = await upload('16.0.0', 500, 5);
    const refused = async (p: Promise<unknown>, field: string, message: RegExp) =>
      assert.rejects(p, (e: RegistryError) => e instanceof RegistryError && e.status < 500 && e.field === field && message.test(e.message));
    // A container for another device type.
    const idis = String((await addImage(t.db, projectId, { name: 'idis.bin', vendor: 'SIM', deviceTypes: ['CE207'], version: '2.0.0', imageIdentifier: 'IDIS-2.0.0' }, image(300, 9), null)).image.id);
    await refused(addUpdates(t.db, projectId, idis, [ids[107]!], {}, null), 'body.deviceIds', /is a CE308; the container is for CE207/);
    await refused(createCampaign(t.db, projectId, { name: 'x', imageId: idis, deviceIds: [ids[107]!], waves: [{ percent: 100 }], successThreshold: 1, errorThreshold: 0, maxParallel: 1 }, null),
      'body.deviceIds', /the container is for CE207/);
    // A truncated upload: fewer bytes than announced, or bytes that do not hash to what was announced.
    await refused(addImage(t.db, projectId, { name: 'cut.bin', vendor: 'E', deviceTypes: ['CE308'], version: '1', imageIdentifier: 'CE308-1', size: 1000 }, image(600), null),
      'querystring.size', /600 bytes arrived, 1000 were announced/);
    await refused(addImage(t.db, projectId, { name: 'cut.bin', vendor: 'E', deviceTypes: ['CE308'], version: '1', imageIdentifier: 'CE308-1', sha256: '0'.repeat(64) }, image(600), null),
      'querystring.sha256', /hash to/);
    // Devices without Image Transfer: their comm line's profile names none.
    await t.db.query(`INSERT INTO device_profiles (id, name, device_types, protocol, protocol_maps, body) SELECT 'NO_FW', name, device_types, protocol, protocol_maps, body - 'firmware' FROM device_profiles WHERE id = 'DL_CE_308'`);
    await t.db.query(`INSERT INTO device_profile_versions (profile_id, version, body) SELECT id, 1, body FROM device_profiles WHERE id = 'NO_FW'`);
    await t.db.query(`UPDATE comm_lines SET profile_id = 'NO_FW', profile_version = NULL WHERE device_id = $1`, [ids[108]]);
    await refused(createCampaign(t.db, projectId, { name: 'y', imageId, deviceIds: [ids[108]!, ids[109]!], waves: [{ percent: 100 }], successThreshold: 1, errorThreshold: 0, maxParallel: 1 }, null),
      'body.deviceIds', /has no comm line whose device profile has Image Transfer/);
    const after = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM firmware_updates')).rows[0]!.n;
    assert.equal(after, before);
    assert.equal((await t.db.query('SELECT 1 FROM firmware_campaigns WHERE name IN ($1, $2)', ['x', 'y'])).rows.length, 0);
  });
});
