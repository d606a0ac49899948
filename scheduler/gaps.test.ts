/**
 * Gap re-collection against a real chDB and the registry on both engines: a launch leaves holes in
 * ClickHouse → one re-collection launch of the same task reads exactly the missing ranges (adjacent gaps
 * coalesced) from exactly the devices that have them; it stops when the data is complete, and after the
 * daily cap when it never is. Also the slot grids in time zones and the range coalescing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { testWarehouse } from '../sinks/clickhouse/testing.js';
import { ENGINES, openTestDb, type TestDb } from '../registry/testing.js';
import { createProject } from '../registry/project-data.js';
import { Scheduler } from './scheduler.js';
import { GapCollector, coalesce, type GapRead } from './gaps.js';
import { gridOf, periodOf, slotsIn } from './coverage.js';
import { seedDevices } from './testing.js';
import * as tasks from './tasks.js';
import {
  LinkError, type CollectItem, type CollectOutcome, type CollectedRecord, type CommLineRef, type DeviceLink, type DeviceReader, type DeviceTarget, type ReadingSink,
} from './reader.js';
import type { TaskContent } from './content.js';

const utc = (s: string) => Date.parse(s);
const MIN = 60_000;

describe('slot grids', () => {
  it('aligns interval ends to the local clock, days and months to local midnights', () => {
    // Kolkata is UTC+05:30: local hours end at :30 UTC.
    const h = gridOf('profile-60', 'Asia/Kolkata', utc('2025-02-01T00:00:00Z'))!;
    assert.deepEqual(slotsIn(h, utc('2025-02-01T00:00:00Z'), utc('2025-02-01T03:00:00Z')).map((t) => new Date(t).toISOString()),
      ['2025-02-01T00:30:00.000Z', '2025-02-01T01:30:00.000Z', '2025-02-01T02:30:00.000Z']);
    const d = gridOf('end-of-day', 'Europe/Moscow', 0)!;
    assert.deepEqual(slotsIn(d, utc('2025-02-01T20:00:00Z'), utc('2025-02-03T21:00:00Z')).map((t) => new Date(t).toISOString()),
      ['2025-02-01T21:00:00.000Z', '2025-02-02T21:00:00.000Z', '2025-02-03T21:00:00.000Z']);
    const m = gridOf('end-of-month', 'Europe/Moscow', 0)!;
    assert.deepEqual(slotsIn(m, utc('2025-01-15T00:00:00Z'), utc('2025-04-01T00:00:00Z')).map((t) => new Date(t).toISOString()),
      ['2025-01-31T21:00:00.000Z', '2025-02-28T21:00:00.000Z', '2025-03-31T21:00:00.000Z']);
    // A spring-forward day in Berlin has 23 hours: 92 quarter-hours, counted to that day.
    const q = gridOf('profile-15', 'Europe/Berlin', utc('2025-03-29T23:00:00Z'))!;
    const day = slotsIn(q, utc('2025-03-29T23:00:00Z'), utc('2025-03-30T22:00:00Z'));
    assert.equal(day.length, 92);
    assert.deepEqual([...new Set(day.map((t) => periodOf(q, t)))], ['2025-03-30']);
    assert.equal(gridOf('current', 'UTC', 0), undefined);
  });

  it('coalesces adjacent missing slots and merges the closest runs above the cap', () => {
    const slots = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21];
    // 10 and 20 follow each other in the expected slots but are not neighbours on the grid.
    assert.deepEqual(coalesce(slots, new Set([2, 3, 5, 9, 10, 20]), 10, 1), [[2, 3], [5, 5], [9, 10], [20, 20]]);
    // Runs 2-3 and 5 are closest (gap 2): merged first.
    assert.deepEqual(coalesce(slots, new Set([2, 3, 5, 9, 10, 20]), 3, 1), [[2, 5], [9, 10], [20, 20]]);
    assert.deepEqual(coalesce(slots, new Set([2, 3, 5, 9, 10, 20]), 1, 1), [[2, 20]]);
    assert.deepEqual(coalesce(slots, new Set([10, 20, 21]), 10, 10), [[10, 21]]);
    assert.deepEqual(coalesce(slots, new Set(), 3, 1), []);
  });
});

/**
 * Meters with 15-minute A+/A- interval energies and daily registers stamped at their local midnight
 * (UTC+3) that skip the stamps `hole` says are missing; readings go straight into ClickHouse
 * (device_id = devices.num) as the pipeline would store them.
 */
class GridMeters implements DeviceReader, ReadingSink {
  readonly reads: { serial: string; archive: string; range?: { fromMs: number; toMs: number } }[] = [];
  /** Serials whose session cannot be opened, with the number of refusals left. */
  readonly down = new Map<string, number>();
  constructor(readonly engine: ChdbEngine, public hole: (serial: string, slotMs: number, readNo: number) => boolean) {}

  open(device: DeviceTarget, line: CommLineRef): Promise<DeviceLink> {
    const left = this.down.get(device.serialNumber) ?? 0;
    if (left > 0) {
      this.down.set(device.serialNumber, left - 1);
      return Promise.reject(new LinkError(`no answer over ${line.channelKind}`));
    }
    return Promise.resolve({
      collect: (item: CollectItem): Promise<CollectOutcome> => {
        if (item.kind !== 'measurement' || !item.range) return Promise.resolve({ status: 'ok', records: [] });
        const readNo = this.reads.filter((r) => r.serial === device.serialNumber).length;
        this.reads.push({ serial: device.serialNumber, archive: item.item.archive, range: item.range });
        const records: CollectedRecord[] = [];
        const daily = item.item.archive === 'end-of-day';
        const [step, phase] = daily ? [24 * 60 * MIN, 21 * 60 * MIN] : [15 * MIN, 0];
        for (let t = Math.ceil((item.range.fromMs - phase) / step) * step + phase; t <= item.range.toMs; t += step) {
          if (this.hole(device.serialNumber, t, readNo)) continue;
          for (const tag of item.item.tags ?? ['A+ T0']) {
            const code = daily ? '1.0.1.8.0.255' : tag.startsWith('A+') ? '1.0.1.29.0.255' : '1.0.2.29.0.255';
            records.push({ code, tag, deviceTimeMs: t, value: 1 });
          }
        }
        return Promise.resolve({ status: 'ok', records });
      },
      control: () => Promise.resolve({ ok: false, reason: 'unsupported' as const }),
      close: () => Promise.resolve(''),
    });
  }

  async write(device: DeviceTarget, item: CollectItem, records: CollectedRecord[]): Promise<void> {
    if (item.kind !== 'measurement') return;
    const rows = records.map((r) => JSON.stringify({
      device_id: device.num, archive: item.item.archive, obis: r.code, reading_type: '', tariff: 0, ts: r.deviceTimeMs! / 1000,
      raw: 250, scaler: -3, unit: 'kWh', quality: 3, device_status: 0, device_tz: 180, source: 'POLL', collected_at: r.deviceTimeMs! / 1000 + 60, retention_days: 0,
    }));
    // A re-read block may equal one of an earlier run: no block deduplication here.
    await this.engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.join('\n')}`);
  }
}

const engine = testWarehouse('gaps');

for (const db of ENGINES) {
  describe(`gap re-collection (${db})`, () => {
    let t: TestDb;
    let actor: tasks.Actor;
    let clock = utc('2025-05-28T12:00:30Z');
    const now = () => clock;
    before(async () => {
      // Device numbers start at 1 in every registry: each engine's run starts with an empty store.
      await engine.exec('TRUNCATE TABLE readings');
      t = await openTestDb(db);
      const u = await t.db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`);
      actor = { userId: u.rows[0].id, username: 'admin', m2m: false };
    });
    after(() => t.drop());

    const setup = async (serials: string[], content: TaskContent, hole: GridMeters['hole'], timeZone = 'Europe/Moscow') => {
      const pid = String((await createProject(t.db, { name: `p-${Math.random()}`, timeZone }, actor.userId)).id);
      const { ids } = await seedDevices(t.db, pid, serials);
      const meters = new GridMeters(engine, hole);
      const gaps = new GapCollector({ db: t.db, engine, now, settleMs: 0, onError: (e) => assert.fail(e as Error) });
      const scheduler = new Scheduler({ db: t.db, reader: meters, sink: meters, gaps, now, pollMs: 5, heartbeatMs: 10, delayUnitMs: 1 });
      const task = await tasks.createTask(t.db, pid, { kind: 'scheduled', name: 'profile', deviceIds: ids, content }, actor);
      return { pid, ids, meters, gaps, scheduler, taskId: String(task.id) };
    };
    /** A task's launches, each followed by its chain of re-collections. */
    const launchesOf = async (pid: string, taskId: string) => {
      const all = (await tasks.listLaunches(t.db, pid, taskId, 100, 0)).items.reverse();
      const out: typeof all = [];
      const follow = (l: (typeof all)[number]) => {
        out.push(l);
        for (const c of all.filter((x) => x.sourceLaunchId === l.id)) follow(c);
      };
      for (const root of all.filter((x) => !x.sourceLaunchId)) follow(root);
      return out;
    };
    const readsOf = async (launchId: string) => {
      const r = await t.db.query<{ serial: string; reads: GapRead[] | string }>(
        `SELECT d.serial_number AS serial, ld.reads FROM launch_devices ld JOIN devices d ON d.id = ld.device_id WHERE ld.launch_id = $1 ORDER BY 1`, [launchId],
      );
      return Object.fromEntries(r.rows.map((x) => [x.serial, typeof x.reads === 'string' ? JSON.parse(x.reads) as GapRead[] : x.reads]));
    };
    const range = (a: string, b: string) => ({ fromMs: utc(a) - 7.5 * MIN, toMs: utc(b) + 7.5 * MIN });

    it('queues one re-collection of exactly the missing ranges from exactly the devices with gaps, and stops when they are filled', async () => {
      const content: TaskContent = { measurements: [{ archive: 'profile-15', depth: { count: 6, unit: 'hours' }, tags: ['A+ T0', 'A- T0'] }], commands: [{ function: 'relay-read' }] };
      const holes = new Set([utc('2025-05-28T07:00:00Z'), utc('2025-05-28T07:15:00Z'), utc('2025-05-28T09:30:00Z')]);
      const s = await setup(['gap-a', 'gap-b', 'gap-c'], content, (serial, slot, readNo) => serial === 'gap-a' && readNo === 0 && holes.has(slot));
      // gap-c cannot be reached on the first launch.
      s.meters.down.set('gap-c', 1);
      clock = utc('2025-05-28T12:00:30Z');
      await tasks.runNow(t.db, s.pid, s.taskId, actor);
      await s.scheduler.drain();
      const launches = await launchesOf(s.pid, s.taskId);
      assert.deepEqual(launches.map((l) => [l.trigger, l.result]), [['manual', 'error'], ['gap', 'success']]);
      assert.equal(launches[1].sourceLaunchId, launches[0].id);
      assert.equal(launches[0].sourceLaunchId, null);
      // The window was [06:00:30, 12:00:30]: slots 06:15 … 11:45 (12:00 is less than half an interval from its end).
      const tags = ['A+ T0', 'A- T0'];
      assert.deepEqual(await readsOf(String(launches[1].id)), {
        'gap-a': [{ archive: 'profile-15', tags, ranges: [range('2025-05-28T07:00:00Z', '2025-05-28T07:15:00Z'), range('2025-05-28T09:30:00Z', '2025-05-28T09:30:00Z')] }],
        'gap-c': [{ archive: 'profile-15', tags, ranges: [range('2025-05-28T06:15:00Z', '2025-05-28T11:45:00Z')] }],
      });
      // The re-collection read those ranges and nothing else: no other device, no command.
      const second = s.meters.reads.slice(2);
      assert.deepEqual(second.map((r) => [r.serial, r.range]).sort(), [
        ['gap-a', range('2025-05-28T07:00:00Z', '2025-05-28T07:15:00Z')], ['gap-a', range('2025-05-28T09:30:00Z', '2025-05-28T09:30:00Z')],
        ['gap-c', range('2025-05-28T06:15:00Z', '2025-05-28T11:45:00Z')],
      ].sort());
      const cmds = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM device_commands WHERE launch_id = $1', [launches[1].id]);
      assert.equal(cmds.rows[0].n, 0, 'a re-collection runs no commands');
      // Everything is in ClickHouse now: checking again finds nothing.
      assert.equal((await s.gaps.missing(String(launches[0].id))).size, 0);
    });

    it('a pushed archive: the launch opens no session, the pushes that came count, the missing push is read from the meter', async () => {
      const content: TaskContent = { measurements: [{ archive: 'profile-15', depth: { count: 2, unit: 'hours' }, tags: ['A+ T0'], pushed: true }] };
      const s = await setup(['push-a', 'push-b'], content, () => false);
      const nums = (await t.db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE id = ANY($1::uuid[]) ORDER BY serial_number', [s.ids])).rows.map((r) => Number(r.num));
      // The meters pushed their 15-minute A+ values of [10:00, 12:00], as the pipeline stores pushes; push-a's 11:00 push was lost.
      const lost = utc('2025-05-28T11:00:00Z');
      const rows: string[] = [];
      for (const num of nums) {
        for (let ts = utc('2025-05-28T10:00:00Z'); ts <= utc('2025-05-28T12:00:00Z'); ts += 15 * MIN) {
          if (num === nums[0] && ts === lost) continue;
          rows.push(JSON.stringify({
            device_id: num, archive: 'profile-15', obis: '1.0.1.29.0.255', reading_type: '', tariff: 0, ts: ts / 1000, raw: 250, scaler: 0, unit: 'Wh', quality: 3,
            device_status: 0, device_tz: 180, source: 'PUSH', collected_at: ts / 1000 + 60, retention_days: 0,
          }));
        }
      }
      await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.join('\n')}`);
      clock = utc('2025-05-28T12:00:30Z');
      await tasks.runNow(t.db, s.pid, s.taskId, actor);
      await s.scheduler.drain();
      const launches = await launchesOf(s.pid, s.taskId);
      assert.deepEqual(launches.map((l) => [l.trigger, l.result]), [['manual', 'success'], ['gap', 'success']]);
      // the launch read nothing (the meters push); the re-collection read push-a's lost interval only
      assert.deepEqual(s.meters.reads.map((r) => [r.serial, r.archive, r.range]), [['push-a', 'profile-15', range('2025-05-28T11:00:00Z', '2025-05-28T11:00:00Z')]]);
      assert.equal((await s.gaps.missing(String(launches[0].id))).size, 0, 'complete now');
    });

    it('counts a slot missing when one of the item\'s tags is absent', async () => {
      const content: TaskContent = { measurements: [{ archive: 'profile-15', depth: { count: 2, unit: 'hours' }, tags: ['A+ T0', 'A- T0'] }] };
      const s = await setup(['tag-a'], content, () => false);
      const meters = s.meters;
      const write = meters.write.bind(meters);
      // The first time, the A- value of 11:00 is lost on the way to the store.
      let lose = true;
      meters.write = (d, item, records) => {
        const kept = records.filter((r) => !(lose && r.tag === 'A- T0' && r.deviceTimeMs === utc('2025-05-28T11:00:00Z')));
        lose = false;
        return write(d, item, kept);
      };
      clock = utc('2025-05-28T12:00:30Z');
      const l = await tasks.runNow(t.db, s.pid, s.taskId, actor);
      await s.scheduler.drain();
      assert.deepEqual((await s.gaps.missing(String(l.id))).get(s.ids[0]), undefined, 'the re-collection filled it');
      const launches = await launchesOf(s.pid, s.taskId);
      assert.deepEqual(await readsOf(String(launches[1].id)), {
        'tag-a': [{ archive: 'profile-15', tags: ['A+ T0', 'A- T0'], ranges: [range('2025-05-28T11:00:00Z', '2025-05-28T11:00:00Z')] }],
      });
    });

    it('matches daily registers stamped at the meter\'s midnight to the project\'s days, expecting every day inside the window', async () => {
      const content: TaskContent = { measurements: [{ archive: 'end-of-day', depth: { count: 3, unit: 'days' } }] };
      // Project in UTC, meters at UTC+3: their midnights are 21:00 UTC. day-b lost the register of May 26 (→ May 27 in UTC).
      const s = await setup(['day-a', 'day-b'], content, (serial, t, readNo) => serial === 'day-b' && readNo === 0 && t === utc('2025-05-26T21:00:00Z'), 'UTC');
      clock = utc('2025-05-28T07:33:00Z');
      await tasks.runNow(t.db, s.pid, s.taskId, actor);
      await s.scheduler.drain();
      const launches = await launchesOf(s.pid, s.taskId);
      assert.deepEqual(launches.map((l) => [l.trigger, l.result]), [['manual', 'success'], ['gap', 'success']]);
      // Window [May 25 07:33, May 28 07:33]: May 25 00:00 is before it (not expected); May 26, 27 and 28 are.
      const day = 12 * 60 * MIN;
      assert.deepEqual(await readsOf(String(launches[1].id)), {
        'day-b': [{ archive: 'end-of-day', ranges: [{ fromMs: utc('2025-05-27T00:00:00Z') - day, toMs: utc('2025-05-27T00:00:00Z') + day }] }],
      });
      assert.deepEqual(s.meters.reads.at(-1), { serial: 'day-b', archive: 'end-of-day', range: { fromMs: utc('2025-05-26T12:00:00Z'), toMs: utc('2025-05-27T12:00:00Z') } });
    });

    it('stops after the daily cap when the data never comes, and waits for the pipeline to settle', async () => {
      const content: TaskContent = { measurements: [{ archive: 'profile-15', depth: { count: 3, unit: 'hours' } }] };
      const s = await setup(['cap-a', 'cap-b'], content, (serial, slot) => serial === 'cap-a' && new Date(slot).getUTCMinutes() === 30);
      clock = utc('2025-05-28T12:00:30Z');
      await tasks.runNow(t.db, s.pid, s.taskId, actor);
      await s.scheduler.drain();
      const launches = await launchesOf(s.pid, s.taskId);
      assert.deepEqual(launches.map((l) => l.trigger), ['manual', 'gap', 'gap', 'gap'], 'three rounds, then the cap');
      for (let i = 1; i < launches.length; i++) assert.equal(launches[i].sourceLaunchId, launches[i - 1].id, 'each round repairs the previous one');
      for (const l of launches.slice(1)) {
        assert.deepEqual(await readsOf(String(l.id)), {
          'cap-a': [{ archive: 'profile-15', ranges: [range('2025-05-28T09:30:00Z', '2025-05-28T09:30:00Z'), range('2025-05-28T10:30:00Z', '2025-05-28T10:30:00Z'), range('2025-05-28T11:30:00Z', '2025-05-28T11:30:00Z')] }],
        });
      }
      const checked = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM task_launches WHERE task_id = $1 AND gaps_checked_at IS NULL', [s.taskId]);
      assert.equal(checked.rows[0].n, 0, 'every finished launch was checked once');

      // The next day (Moscow) the cap starts again; a launch is only looked at once the pipeline had time to store its readings.
      clock = utc('2025-05-28T21:00:30Z');
      const slow = new GapCollector({ db: t.db, engine, now, settleMs: 60_000 });
      const l = await tasks.runNow(t.db, s.pid, s.taskId, actor);
      const quiet = new Scheduler({ db: t.db, reader: s.meters, sink: s.meters, gaps: slow, now, pollMs: 5, heartbeatMs: 10 });
      await quiet.drain();
      assert.equal((await launchesOf(s.pid, s.taskId)).length, 5, 'not settled yet');
      clock += 60_000;
      assert.equal(await slow.sweep(), 1);
      const last = (await launchesOf(s.pid, s.taskId)).at(-1)!;
      assert.deepEqual([last.trigger, last.sourceLaunchId], ['gap', l.id]);
      await quiet.stop();
      await tasks.deleteTask(t.db, s.pid, s.taskId); // its queued launch must not run in the next test
    });

    it('does not look for gaps of cancelled launches, of archives without slots or of reads without a depth', async () => {
      const s = await setup(['none-a'], { measurements: [{ archive: 'profile-15', depth: { count: 1, unit: 'hours' } }] }, () => true);
      clock = utc('2025-05-28T12:00:30Z');
      const l = await tasks.runNow(t.db, s.pid, s.taskId, actor);
      await tasks.cancelLaunch(t.db, s.pid, String(l.id), clock);
      await s.scheduler.drain();
      assert.deepEqual((await launchesOf(s.pid, s.taskId)).map((x) => [x.trigger, x.result]), [['manual', 'cancelled-by-user']]);
      assert.equal(s.meters.reads.length, 0);

      const other = await tasks.createTask(t.db, s.pid, {
        kind: 'scheduled', name: 'no slots', deviceIds: s.ids, content: { measurements: [{ archive: 'current' }, { archive: 'profile-15' }] },
      }, actor);
      await tasks.runNow(t.db, s.pid, String(other.id), actor);
      await s.scheduler.drain();
      assert.deepEqual((await launchesOf(s.pid, String(other.id))).map((x) => [x.trigger, x.result]), [['manual', 'success']], 'no data, but nothing expected');
    });
  });
}
