/**
 * Several schedulers on one launch (docs/deployment.md), on both engines: they share its devices through
 * claims with leases, a crashed instance's claimed devices are taken over once their lease runs out (and
 * not before), and a device whose CENC connection a live node holds is read by that node only. Each
 * instance reads through its own scripted fleet, so the test sees who read what.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../registry/db.js';
import { ENGINES, openTestDb, type TestDb } from '../registry/testing.js';
import { createProject } from '../registry/project-data.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { FakeFleet, seedDevices } from './testing.js';
import * as tasks from './tasks.js';
import type { TaskContent } from './content.js';

const daily: TaskContent = { measurements: [{ archive: 'end-of-day', depth: { count: 1, unit: 'days' } }] };

for (const engine of ENGINES) {
  describe(`schedulers sharing launches (${engine})`, () => {
    let t: TestDb;
    let other: Db;
    let actor: tasks.Actor;
    let clock = Date.parse('2025-07-01T00:00:00Z');
    const now = () => clock;
    const schedulers: Scheduler[] = [];
    const make = (fleet: FakeFleet, o: Partial<SchedulerOptions> & { instanceId: string }) => {
      const s = new Scheduler({ db: t.db, reader: fleet, sink: fleet, now, pollMs: 5, heartbeatMs: 10, leaseMs: 60_000, delayUnitMs: 1, ...o });
      schedulers.push(s);
      return s;
    };
    const launchOf = async (serials: string[]) => {
      const pid = String((await createProject(t.db, { name: `p-${Math.random()}`, timeZone: 'UTC' }, actor.userId)).id);
      const { ids } = await seedDevices(t.db, pid, serials);
      const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: 'daily', deviceIds: ids, content: daily }, actor);
      const launch = await tasks.runNow(t.db, pid, String(task.id), actor);
      return { pid, ids, taskId: String(task.id), launchId: String(launch.id) };
    };
    const results = async (launchId: string) =>
      (await t.db.query<{ result: string }>('SELECT result FROM launch_devices WHERE launch_id = $1', [launchId])).rows.map((r) => r.result);
    const readers = (fleets: Record<string, FakeFleet>, serial: string) => Object.entries(fleets).filter(([, f]) => f.sessions.some((s) => s.serial === serial)).map(([n]) => n);

    before(async () => {
      t = await openTestDb(engine);
      other = t.url ? await openDb({ databaseUrl: t.url }) : t.db;
      const u = await t.db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`);
      actor = { userId: u.rows[0].id, username: 'admin', m2m: false };
    });
    after(async () => {
      for (const s of schedulers) await s.stop();
      if (other !== t.db) await other.close();
      await t.drop();
    });

    it('two schedulers read one launch together, each device once', async () => {
      const serials = Array.from({ length: 24 }, (_, i) => `share-${String(i).padStart(2, '0')}`);
      const { launchId } = await launchOf(serials);
      const fa = new FakeFleet(now), fb = new FakeFleet(now);
      for (const s of serials) fa.meter(s).collectMs = fb.meter(s).collectMs = 15;
      const a = make(fa, { instanceId: 'owner', deviceConcurrency: 2 });
      const b = make(fb, { instanceId: 'helper', deviceConcurrency: 2, db: other });
      await a.tick(); // a owns the launch, b helps
      b.start();
      await a.drain();
      await b.stop();
      assert.deepEqual(await results(launchId), serials.map(() => 'success'));
      const who = serials.map((s) => readers({ a: fa, b: fb }, s));
      assert.ok(who.every((w) => w.length === 1), `each device read by one instance: ${JSON.stringify(who)}`);
      assert.ok(fa.sessions.length > 0 && fb.sessions.length > 0, `both read (${fa.sessions.length} + ${fb.sessions.length})`);
      assert.equal(fa.sessions.length + fb.sessions.length, serials.length, 'no device read twice');
    });

    it('the devices a crashed helper claimed wait for their lease, then the owner reads them', async () => {
      const serials = Array.from({ length: 8 }, (_, i) => `lease-${i}`);
      const { launchId } = await launchOf(serials);
      const fa = new FakeFleet(now), fb = new FakeFleet(now);
      for (const s of serials) fb.meter(s).collectMs = 60_000; // the helper never finishes a read
      const a = make(fa, { instanceId: 'owner-2', deviceConcurrency: 1 });
      const b = make(fb, { instanceId: 'dying', deviceConcurrency: 3, db: other });
      for (const s of serials) fa.meter(s).collectMs = 20;
      await a.tick(); // a owns the launch and claims its first device
      b.start(); // b joins and claims three
      const held = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM launch_devices WHERE launch_id = $1 AND claimed_by = 'dying'`, [launchId])).rows[0]!.n;
      for (const until = Date.now() + 10_000; (await held()) < 3 && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await held(), 3);
      b.crash();
      // Everything but b's three devices is read; the launch stays running while their lease holds.
      for (const until = Date.now() + 20_000; (await results(launchId)).filter((r) => r === 'success').length < 5 && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await results(launchId)).filter((r) => r === 'pending').length, 3, 'the dead helper\'s devices wait for their lease');
      clock += 61_000;
      await a.drain();
      assert.deepEqual(await results(launchId), serials.map(() => 'success'));
      assert.equal(fa.sessions.length, serials.length, 'the owner read all eight, the dead helper\'s three after their lease ran out');
    });

    it('a device whose CENC connection a live node holds is read by that node only; once the lease runs out, by anyone', async () => {
      const serials = ['cenc-a', 'cenc-b', 'tcp-1', 'tcp-2'];
      const { ids, launchId } = await launchOf(serials);
      const lease = new Date(clock + 30_000).toISOString();
      for (const id of ids.slice(0, 2)) {
        await t.db.query(`INSERT INTO cenc_connections (device_id, node_id, remote, connected_at, lease_until) VALUES ($1, 'node-1', 'tcp:10.0.0.1:5000', now(), $2)`, [id, lease]);
      }
      const fs = new FakeFleet(now), fc = new FakeFleet(now);
      const s = make(fs, { instanceId: 'sched' });
      const c = make(fc, { instanceId: 'node-1', reads: 'held', db: other });
      c.start();
      await s.drain();
      await c.stop();
      assert.deepEqual(await results(launchId), serials.map(() => 'success'));
      assert.deepEqual(serials.map((x) => readers({ s: fs, c: fc }, x)), [['c'], ['c'], ['s'], ['s']]);

      // The node died: its leases run out, and the next launch's scheduler reads those meters itself (here they answer).
      const next = await launchOf(['cenc-c']);
      await t.db.query(`INSERT INTO cenc_connections (device_id, node_id, remote, connected_at, lease_until) VALUES ($1, 'node-1', 'tcp:10.0.0.1:5001', now(), $2)`, [next.ids[0], lease]);
      clock += 31_000;
      await s.drain();
      assert.deepEqual(await results(next.launchId), ['success']);
      assert.deepEqual(readers({ s: fs, c: fc }, 'cenc-c'), ['s']);
    });
  });
}
