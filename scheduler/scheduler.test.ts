/**
 * The scheduler on both engines: firings neither lost nor doubled (two instances racing, crash and
 * takeover, downtime), cancellation by user and by schedule, retries and "poll until success", comm-line
 * fallback, absent devices, commands with the relay lock states and the clock drift policy.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../registry/db.js';
import { ENGINES, openTestDb, type TestDb } from '../registry/testing.js';
import { createProject } from '../registry/project-data.js';
import { Scheduler, launchResult, type SchedulerOptions } from './scheduler.js';
import { FakeFleet, seedDevices } from './testing.js';
import { ClockWatch } from '../ingest/ntp/clock.js';
import { startSntpServer } from '../ingest/ntp/testing.js';
import * as tasks from './tasks.js';
import type { TaskContent } from './content.js';

const utc = (s: string) => Date.parse(s);
const daily: TaskContent = { measurements: [{ archive: 'end-of-day', depth: { count: 3, unit: 'days' }, tags: ['A+ T1', 'A- T0'] }] };

describe('launch result from device results', () => {
  it('any error wins, then partial; nothing to do is absent', () => {
    assert.equal(launchResult(['success', 'error', 'partial']), 'error');
    assert.equal(launchResult(['success', 'partial', 'absent']), 'partial');
    assert.equal(launchResult(['success', 'absent']), 'success');
    assert.equal(launchResult(['absent', 'absent']), 'absent');
    assert.equal(launchResult([]), 'absent');
  });
});

for (const engine of ENGINES) {
  describe(`scheduler (${engine})`, () => {
    let t: TestDb;
    let actor: tasks.Actor;
    let clock = utc('2025-05-28T12:00:00Z');
    const now = () => clock;
    const schedulers: Scheduler[] = [];
    const extraDbs: Db[] = [];
    const make = (fleet: FakeFleet, o: Partial<SchedulerOptions> = {}) => {
      const s = new Scheduler({ db: t.db, reader: fleet, sink: fleet, now, pollMs: 5, heartbeatMs: 10, leaseMs: 60_000, delayUnitMs: 1, ...o });
      schedulers.push(s);
      return s;
    };
    const project = async (tz = 'Europe/Moscow') => String((await createProject(t.db, { name: `p-${Math.random()}`, timeZone: tz }, actor.userId)).id);

    before(async () => {
      t = await openTestDb(engine);
      const u = await t.db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`);
      actor = { userId: u.rows[0].id, username: 'admin', m2m: false };
    });
    after(async () => {
      for (const s of schedulers) await s.stop();
      for (const d of extraDbs) await d.close();
      await t.drop();
    });

    it('fires a due task once even with two schedulers racing on one database, and reads each device once', async () => {
      const pid = await project();
      const { ids } = await seedDevices(t.db, pid, ['race-1', 'race-2', 'race-3']);
      const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: 'daily', deviceIds: ids, content: daily, schedule: 'every day at 01:00' }, actor);
      clock = utc('2025-05-28T12:00:00Z');
      await tasks.setSchedule(t.db, pid, String(task.id), true, clock);
      const fleet = new FakeFleet(now);
      const other = t.url ? await openDb({ databaseUrl: t.url }) : t.db;
      if (t.url) extraDbs.push(other);
      const a = make(fleet, { instanceId: 'a' }), b = make(fleet, { instanceId: 'b', db: other });
      await Promise.all([a.tick(), b.tick()]);
      assert.equal((await tasks.listLaunches(t.db, pid, String(task.id), 10, 0)).total, 0, 'not due yet');
      clock = utc('2025-05-28T22:00:30Z'); // 01:00:30 in Moscow
      await Promise.all([a.fireDue(), b.fireDue(), a.fireDue(), b.fireDue()]);
      await Promise.all([a.drain(), b.drain()]);
      const launches = await tasks.listLaunches(t.db, pid, String(task.id), 10, 0);
      assert.equal(launches.total, 1);
      const l = launches.items[0];
      assert.equal(new Date(l.scheduledAt as string).toISOString(), '2025-05-28T22:00:00.000Z');
      assert.deepEqual([l.state, l.result, l.progress, l.statistics], ['finished', 'success', 100, { total: 3, success: 3, partial: 0, error: 0, absent: 0, cancelled: 0 }]);
      assert.deepEqual(fleet.sessions.map((s) => s.serial).sort(), ['race-1', 'race-2', 'race-3']);
      // The depth counts back 3 days from the firing, with the task's tags.
      const w = fleet.written.find((x) => x.serial === 'race-1')!;
      assert.deepEqual(w.item.kind === 'measurement' && [w.item.range, w.item.item.tags], [{ fromMs: utc('2025-05-25T22:00:00Z'), toMs: utc('2025-05-28T22:00:00Z') }, ['A+ T1', 'A- T0']]);
      const shown = tasks.presentTask(await tasks.getTask(t.db, pid, String(task.id)));
      assert.deepEqual((shown.schedule as { nextFire: unknown }).nextFire, { local: '2025-05-30T01:00:00+03:00', utc: '2025-05-29T22:00:00.000Z', offsetMinutes: 180 });
      await tasks.setSchedule(t.db, pid, String(task.id), false, clock);
    });

    it('after downtime, missed firings collapse into one launch; a crashed instance\'s launch is taken over without re-reading finished devices', async () => {
      const pid = await project('UTC');
      const serials = Array.from({ length: 6 }, (_, i) => `crash-${i}`);
      const { ids } = await seedDevices(t.db, pid, serials);
      const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: 'q', deviceIds: ids, content: daily, schedule: 'every 15 minutes' }, actor);
      clock = utc('2025-06-01T00:01:00Z');
      await tasks.setSchedule(t.db, pid, String(task.id), true, clock);
      const fleet = new FakeFleet(now);
      // Slow enough that the crash comes before all six are read however loaded the machine is.
      for (const s of serials) fleet.meter(s).collectMs = 400;
      clock = utc('2025-06-01T01:07:00Z'); // four firings missed (00:15 … 01:00)
      const a = make(fleet, { instanceId: 'crashing', deviceConcurrency: 1 });
      assert.equal(await a.fireDue(), 1);
      await a.tick();
      // Crash once a device's result is written (waiting a fixed time failed on a loaded machine).
      const launchId = (await tasks.listLaunches(t.db, pid, String(task.id), 10, 0)).items[0].id;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        const written = await t.db.query(`SELECT 1 FROM launch_devices WHERE launch_id = $1 AND result <> 'pending' LIMIT 1`, [launchId]);
        if (written.rows.length) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      a.crash();
      await new Promise((r) => setTimeout(r, 50));
      const before = (await tasks.listLaunches(t.db, pid, String(task.id), 10, 0)).items[0];
      assert.equal(before.state, 'running');
      const doneBefore = (before.statistics as { success: number }).success;
      assert.ok(doneBefore >= 1 && doneBefore < 6, `some devices done before the crash (${doneBefore})`);
      const saved = await t.db.query<{ id: string }>(`SELECT device_id AS id FROM launch_devices WHERE launch_id = $1 AND result <> 'pending'`, [before.id]);
      const savedIds = new Set(saved.rows.map((r) => r.id));
      const b = make(fleet, { instanceId: 'successor' });
      await b.drain();
      assert.equal((await tasks.listLaunches(t.db, pid, String(task.id), 10, 0)).total, 1, 'still one launch: the lease had not expired');
      clock += 61_000; // the crashed owner's heartbeat is now stale
      await b.drain();
      const launches = await tasks.listLaunches(t.db, pid, String(task.id), 10, 0);
      assert.equal(launches.total, 1);
      assert.deepEqual([launches.items[0].result, launches.items[0].claimedBy], ['success', 'successor']);
      assert.equal(new Date(launches.items[0].scheduledAt as string).toISOString(), '2025-06-01T01:00:00.000Z');
      // Devices whose result was written before the crash were not read again; the others (in flight, or
      // finished with their result still waiting to be written with the next batch) may be read twice.
      const reads = serials.map((s) => fleet.sessions.filter((x) => x.serial === s).length);
      assert.ok(reads.every((n, i) => (savedIds.has(ids[i]) ? n === 1 : n >= 1 && n <= 2)), `reads per device ${reads}, ${savedIds.size} saved`);
      assert.equal(iso((await tasks.getTask(t.db, pid, String(task.id))).nextFireAt), '2025-06-01T01:15:00.000Z');
      await tasks.setSchedule(t.db, pid, String(task.id), false, clock);
    });

    it('a graceful stop hands the launch back and a restarted scheduler continues it at once', async () => {
      const pid = await project('UTC');
      const serials = ['stop-1', 'stop-2', 'stop-3', 'stop-4'];
      const { ids } = await seedDevices(t.db, pid, serials);
      const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: 'stop', deviceIds: ids, content: daily }, actor);
      const fleet = new FakeFleet(now);
      for (const s of serials) fleet.meter(s).collectMs = 30;
      const launch = await tasks.runNow(t.db, pid, String(task.id), actor);
      const a = make(fleet, { deviceConcurrency: 1 });
      await a.tick();
      await new Promise((r) => setTimeout(r, 45));
      await a.stop();
      assert.equal((await tasks.getLaunch(t.db, pid, String(launch.id))).state, 'pending');
      const b = make(fleet);
      await b.drain();
      const l = await tasks.getLaunch(t.db, pid, String(launch.id));
      assert.deepEqual([l.result, (l.statistics as { success: number }).success], ['success', 4]);
      assert.ok(fleet.written.length <= 5, 'at most the device in flight at the stop is read again');
    });

    it('cancel by user stops a running launch; a new scheduled launch cancels the previous one', async () => {
      const pid = await project('UTC');
      const serials = Array.from({ length: 8 }, (_, i) => `cancel-${i}`);
      const { ids } = await seedDevices(t.db, pid, serials);
      const fleet = new FakeFleet(now);
      for (const s of serials) fleet.meter(s).collectMs = 25;
      const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: 'slow', deviceIds: ids, content: daily, schedule: 'every hour' }, actor);
      const s = make(fleet, { deviceConcurrency: 1 });
      const manual = await tasks.runNow(t.db, pid, String(task.id), actor);
      await s.tick();
      await new Promise((r) => setTimeout(r, 60));
      await tasks.cancelLaunch(t.db, pid, String(manual.id), clock);
      await s.drain();
      const byUser = await tasks.getLaunch(t.db, pid, String(manual.id));
      assert.equal(byUser.result, 'cancelled-by-user');
      const st = byUser.statistics as { success: number; cancelled: number; total: number };
      assert.ok(st.cancelled >= 1 && st.success + st.cancelled === st.total && st.total === 8, JSON.stringify(st));

      clock = utc('2025-06-02T00:30:00Z');
      await tasks.setSchedule(t.db, pid, String(task.id), true, clock);
      clock = utc('2025-06-02T01:00:10Z');
      await s.tick();
      await new Promise((r) => setTimeout(r, 50));
      clock = utc('2025-06-02T02:00:10Z');
      await s.fireDue(); // the 02:00 firing cancels the 01:00 launch still running
      await s.drain();
      const h = (await tasks.listLaunches(t.db, pid, String(task.id), 10, 0)).items;
      assert.deepEqual(h.map((l) => [new Date(l.scheduledAt as string ?? 0).toISOString(), l.result]).slice(0, 2), [
        ['2025-06-02T02:00:00.000Z', 'success'], ['2025-06-02T01:00:00.000Z', 'cancelled-by-schedule'],
      ]);
      await tasks.setSchedule(t.db, pid, String(task.id), false, clock);
    });

    it('retries rounds with a delay, polls until success, and falls back to the next comm line', async () => {
      const pid = await project('UTC');
      const { ids, primaryChannel, backupChannel } = await seedDevices(t.db, pid, ['retry-ok', 'retry-fail', 'poll', 'fallback', 'no-line'], { backupLine: true });
      await t.db.query('DELETE FROM comm_lines WHERE device_id = $1', [ids[4]]);
      const fleet = new FakeFleet(now);
      fleet.meter('retry-ok').failOpens = 4; // two rounds × two lines fail, the third round succeeds
      fleet.meter('retry-fail').deadChannels = new Set([primaryChannel, backupChannel]);
      fleet.meter('fallback').deadChannels = new Set([primaryChannel]);
      const run = async (deviceIds: string[], o: Partial<tasks.TaskInput>) => {
        const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: `r-${Math.random()}`, deviceIds, content: daily, retryDelaySeconds: 5, ...o }, actor);
        const l = await tasks.runNow(t.db, pid, String(task.id), actor);
        await make(fleet).drain();
        return {
          launch: await tasks.getLaunch(t.db, pid, String(l.id)),
          devices: (await tasks.launchDevices(t.db, pid, String(l.id), undefined, 10, 0)).items,
          log: (id: string) => tasks.exchangeLog(t.db, pid, String(l.id), id),
        };
      };
      const r1 = await run([ids[0], ids[1], ids[3], ids[4]], { retries: 2 });
      const by = (serial: string) => r1.devices.find((d) => d.serialNumber === serial)!;
      assert.deepEqual([by('retry-ok').result, by('retry-ok').attempts], ['success', 3]);
      assert.deepEqual([by('retry-fail').result, by('retry-fail').attempts], ['error', 3]);
      assert.match(String(by('retry-fail').note), /could not start a session over TCP: timeout/);
      const failedLines = await t.db.query<{ id: string; channel_id: string }>('SELECT id, channel_id FROM comm_lines WHERE device_id = $1', [ids[1]]);
      assert.equal(by('retry-fail').commLineId, failedLines.rows.find((l) => l.channel_id === backupChannel)!.id, 'a failed session keeps the comm line it last tried');
      assert.equal(by('fallback').result, 'success');
      const lines = await t.db.query<{ id: string; channel_id: string }>('SELECT id, channel_id FROM comm_lines WHERE device_id = $1', [ids[3]]);
      assert.equal(by('fallback').commLineId, lines.rows.find((l) => l.channel_id === backupChannel)!.id, 'read over the backup line');
      assert.deepEqual(fleet.opens.filter((o) => o.serial === 'fallback').map((o) => [o.channelId, o.ok]), [[primaryChannel, false], [backupChannel, true]], 'higher priority first');
      assert.deepEqual([by('no-line').result, by('no-line').note], ['absent', 'no enabled comm line']);
      assert.equal(r1.launch.result, 'error');
      assert.deepEqual(r1.launch.statistics, { total: 4, success: 2, partial: 0, error: 1, absent: 1, cancelled: 0 });
      const log = await r1.log(ids[0]);
      assert.match(log, /attempt 3, comm line .* \(TCP, priority 10\)/);
      assert.match(log, /AARQ → AARE accepted/);

      fleet.meter('poll').failOpens = 9;
      const r2 = await run([ids[2]], { retries: 0, pollUntilSuccess: true });
      assert.deepEqual([r2.launch.result, r2.devices[0].attempts], ['success', 5]);

      fleet.meter('retry-ok').unsupported = new Set(['end-of-month']);
      const r3 = await run([ids[0]], { content: { measurements: [{ archive: 'end-of-day' }, { archive: 'end-of-month' }], states: ['state-relay'] } });
      assert.deepEqual([r3.launch.result, r3.devices[0].note], ['partial', 'end-of-month: object undefined']);
    });

    it('asks the gate for each session with the channel, its exclusivity, its network segment and the task\'s priority', async () => {
      const pid = await project('UTC');
      const { ids, primaryChannel, backupChannel } = await seedDevices(t.db, pid, ['seg-a', 'seg-b'], { backupLine: true });
      await t.db.query(`UPDATE channels SET settings = settings || '{"segment":"cell-7"}', exclusive = true WHERE id = $1`, [primaryChannel]);
      const fleet = new FakeFleet(now);
      fleet.meter('seg-b').deadChannels = new Set([primaryChannel]);
      const asked: { channelId: string; exclusive?: boolean; segment?: string; priority?: number }[] = [];
      const gate = { run: <T>(req: (typeof asked)[number], fn: () => Promise<T>) => (asked.push(req), fn()) };
      const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: `seg-${Math.random()}`, deviceIds: ids, content: daily, priority: 300 }, actor);
      await tasks.runNow(t.db, pid, String(task.id), actor);
      await make(fleet, { gate }).drain();
      const seen = asked.map((r) => [r.channelId === primaryChannel ? 'primary' : r.channelId === backupChannel ? 'backup' : r.channelId, r.exclusive, r.segment, r.priority]);
      assert.deepEqual(seen.sort(), [['backup', false, undefined, 700], ['primary', true, 'cell-7', 700], ['primary', true, 'cell-7', 700]]);
    });

    it('commands: relay lock states and "relay absent", clock sync under the drift policy, history per device', async () => {
      const pid = await project('UTC');
      const { ids } = await seedDevices(t.db, pid, ['relay-ok', 'relay-locked', 'relay-none', 'clock-far', 'clock-near']);
      const fleet = new FakeFleet(now);
      fleet.meter('relay-locked').relay = { state: true, lockState: 2 };
      fleet.meter('relay-none').relay = 'absent';
      fleet.meter('clock-far').clockOffsetMs = 600_000;
      fleet.meter('relay-ok').clockOffsetMs = -42_000;
      fleet.meter('clock-near').clockOffsetMs = 4_000; // within the default minimum of 5 s
      const task = await tasks.createTask(t.db, pid, {
        kind: 'one-off', name: 'cmd', deviceIds: ids, retries: 3, retryDelaySeconds: 1,
        content: { commands: [{ function: 'relay-disconnect', params: { relay: 'load' } }, { function: 'clock-sync' }] },
      }, actor);
      const l = await tasks.runNow(t.db, pid, String(task.id), actor, 'one-off');
      await make(fleet).drain();
      const devices = (await tasks.launchDevices(t.db, pid, String(l.id), undefined, 10, 0)).items;
      const by = (s: string) => devices.find((d) => d.serialNumber === s)!;
      assert.deepEqual([by('relay-ok').result, by('relay-ok').note], ['success', '']);
      assert.deepEqual([by('relay-locked').result, by('relay-locked').attempts], ['error', 1], 'a hardware lock is not retried');
      assert.match(String(by('relay-locked').note), /relay locked by hardware \(lock state 2\)/);
      assert.deepEqual([by('relay-none').result, by('relay-none').note], ['partial', 'relay-disconnect: relay absent']);
      assert.match(String(by('clock-far').note), /clock drift 600 s exceeds the maximum 300 s/);
      assert.deepEqual(fleet.meter('relay-ok').relay, { state: false, lockState: 0 }, 'relay switched off');
      const h = await tasks.commandHistory(t.db, pid, ids[0], { limit: 10, offset: 0 });
      assert.deepEqual(h.items.map((c) => [c.function, c.state, c.username, c.launchType]).sort(), [['clock-sync', 'done', 'admin', 'user'], ['relay-disconnect', 'done', 'admin', 'user']]);
      assert.deepEqual(h.items.find((c) => c.function === 'clock-sync')!.result, { driftSeconds: -42, synced: true });
      // A drift below the project's minimum is recorded, and the clock is left alone.
      const near = await tasks.commandHistory(t.db, pid, ids[4], { function: 'clock-sync', limit: 10, offset: 0 });
      assert.deepEqual([near.items[0].state, near.items[0].result, near.items[0].note], ['done', { driftSeconds: 4, synced: false }, 'clock drift 4 s is within the minimum 5 s: not written']);
      assert.deepEqual([by('clock-near').result, fleet.meter('clock-near').clockOffsetMs], ['success', 4_000]);
      const far = await tasks.commandHistory(t.db, pid, ids[3], { function: 'clock-sync', limit: 10, offset: 0 });
      assert.deepEqual(far.items[0].result, { driftSeconds: 600, synced: false });
      const none = await tasks.commandHistory(t.db, pid, ids[2], { function: 'relay-disconnect', limit: 10, offset: 0 });
      assert.deepEqual([none.items[0].state, none.items[0].result, none.items[0].note], ['error', { relay: '-' }, 'relay absent']);
      assert.ok(!fleet.commands.some((c) => c.serial === 'clock-far' && c.request.function === 'clock-write'), 'no sync beyond the maximum drift');
      // The project's minimum applies; a command's own minimum overrides it.
      await tasks.saveControlSettings(t.db, pid, { clockMinDriftSeconds: 1 });
      const again = await tasks.createTask(t.db, pid, { kind: 'one-off', name: 'sync', deviceIds: [ids[4]], content: { commands: [{ function: 'clock-sync' }] } }, actor);
      await tasks.runNow(t.db, pid, String(again.id), actor, 'one-off');
      await make(fleet).drain();
      assert.equal(fleet.meter('clock-near').clockOffsetMs, 0, 'written: 4 s is above the project minimum of 1 s');
      fleet.meter('clock-near').clockOffsetMs = 30_000;
      const own = await tasks.createTask(t.db, pid, { kind: 'one-off', name: 'sync-60', deviceIds: [ids[4]], content: { commands: [{ function: 'clock-sync', params: { minDriftSeconds: 60 } }] } }, actor);
      await tasks.runNow(t.db, pid, String(own.id), actor, 'one-off');
      await make(fleet).drain();
      assert.equal(fleet.meter('clock-near').clockOffsetMs, 30_000, 'left alone: 30 s is below the command\'s minimum');
    });

    it('never writes a meter\'s clock while the HES clock is off from NTP, even forced; the drift is recorded; once back in step it syncs', async () => {
      const ntp = await startSntpServer(90_000); // NTP is 90 s ahead: the HES clock is behind
      try {
        const hostClock = new ClockWatch({ server: ntp.address, maxOffsetSeconds: 2 });
        await hostClock.check();
        const pid = await project('UTC');
        const { ids } = await seedDevices(t.db, pid, ['ntp-1']);
        const fleet = new FakeFleet(now);
        fleet.meter('ntp-1').clockOffsetMs = 40_000;
        const sync = async (force: boolean) => {
          const task = await tasks.createTask(t.db, pid, { kind: 'one-off', name: `sync-${Math.random()}`, deviceIds: ids, content: { commands: [{ function: 'clock-sync', params: force ? { force: true } : {} }] } }, actor);
          const l = await tasks.runNow(t.db, pid, String(task.id), actor, 'one-off');
          await make(fleet, { hostClock }).drain();
          return (await tasks.launchDevices(t.db, pid, String(l.id), undefined, 10, 0)).items[0]!;
        };
        for (const force of [false, true]) {
          const d = await sync(force);
          assert.equal(d.result, 'error');
          assert.match(String(d.note), /the HES clock is \d+\.\d{3} s behind NTP .*above the 2 s allowed: the meter's clock is not written from it/);
        }
        assert.ok(!fleet.commands.some((c) => c.request.function === 'clock-write'), 'no clock written');
        const history = await tasks.commandHistory(t.db, pid, ids[0]!, { function: 'clock-sync', limit: 10, offset: 0 });
        assert.deepEqual(history.items.map((c) => c.result), [{ driftSeconds: 40, synced: false }, { driftSeconds: 40, synced: false }]);
        ntp.skewMs = 0;
        await hostClock.check();
        assert.equal((await sync(false)).result, 'success');
        assert.equal(fleet.meter('ntp-1').clockOffsetMs, 0, 'written once the HES clock is right');
      } finally {
        await ntp.close();
      }
    });
  });
}

function iso(v: unknown): string {
  return new Date(v as string).toISOString();
}
