/**
 * Collection and control through the API: tasks with human schedules, copy, enable, run now, launches
 * with statistics, per-device results and exchange logs, one-off tasks from a template, command history,
 * and the second-user approval of relay disconnects. The scheduler runs in-process over a scripted fleet.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { FakeFleet, seedDevices } from '../../scheduler/testing.js';
import { startHarness, type Harness } from './harness.js';

for (const engine of ENGINES) {
  describe(`collection and control API (${engine})`, () => {
    let h: Harness;
    let base: string;
    let ids: string[];
    const fleet = new FakeFleet();
    let scheduler: Scheduler;
    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}`;
      await h.call('Administrator', { method: 'PATCH', url: base, payload: { timeZone: 'Europe/Moscow' } });
      ids = (await seedDevices(h.t.db, h.projectId, ['0123456789', '0123456790'])).ids;
      scheduler = new Scheduler({ db: h.t.db, reader: fleet, sink: fleet, pollMs: 5, heartbeatMs: 10, delayUnitMs: 1 });
    });
    after(async () => {
      await scheduler.stop();
      await h.close();
    });

    it('creates a task as in seed 003 §3.3 and shows its schedule in the project zone and in UTC; validation names the field', async () => {
      const bad: [object, string][] = [
        [{ content: { measurements: [{ archive: 'end-of-day', tags: ['A+ T9'] }] } }, 'body.content.measurements.0.tags.0'],
        [{ content: { measurements: [{ archive: 'hourly' }] } }, 'body.content.measurements.0.archive'],
        [{ priority: 1000 }, 'body.priority'],
        [{ schedule: 'every day at 1 am' }, 'body.schedule'],
        [{ deviceIds: [] }, 'body.deviceIds'],
      ];
      for (const [patch, field] of bad) {
        const r = await h.call('Administrator', { method: 'POST', url: `${base}/tasks`, payload: { name: 'x', deviceIds: [ids[0]], content: { states: ['state-time'] }, ...patch } });
        assert.equal(r.statusCode, 400, JSON.stringify(patch));
        assert.equal(r.json().error.field, field, JSON.stringify(patch));
      }
      const r = await h.call('Administrator', {
        method: 'POST', url: `${base}/tasks`,
        payload: {
          name: 'нКс_0123456789_A+T1 A-T0', deviceIds: [ids[0]], schedule: 'every day at 01:00', priority: 1, retries: 3, retryDelaySeconds: 180,
          content: { measurements: [{ archive: 'end-of-day', depth: { count: 3, unit: 'days' }, tags: ['A+ T1', 'A- T0'] }] },
        },
      });
      assert.equal(r.statusCode, 201, r.body);
      const t = r.json();
      assert.deepEqual([t.schedule.cron, t.schedule.text, t.schedule.timeZone, t.schedule.enabled], ['0 1 * * *', 'every day at 01:00', 'Europe/Moscow', false]);
      assert.match(t.schedule.nextFire.local, /T01:00:00\+03:00$/);
      assert.match(t.schedule.nextFire.utc, /T22:00:00\.000Z$/, 'starts at 22:00 UTC (seed 003 figure 115)');
      const prev = await h.call('Operator', { method: 'POST', url: `${base}/schedule-preview`, payload: { schedule: '*/30 * * * *', count: 2 } });
      assert.equal(prev.json().text, 'every 30 minutes');
      assert.equal(prev.json().next.length, 2);

      const copy = await h.call('Administrator', { method: 'POST', url: `${base}/tasks/${t.id}/copy`, payload: { name: 'copy' } });
      assert.deepEqual([copy.statusCode, copy.json().name, copy.json().content, copy.json().schedule.cron], [201, 'copy', t.content, '0 1 * * *']);
      const on = await h.call('Administrator', { method: 'PUT', url: `${base}/tasks/${t.id}/schedule`, payload: { enabled: true } });
      assert.equal(on.json().schedule.enabled, true);
      assert.ok(on.json().schedule.enabledAt);
      const list = await h.call('Operator', { method: 'GET', url: `${base}/tasks` });
      assert.equal(list.json().total, 2);
    });

    it('runs a task now: launch with statistics, per-device results, exchange log; history; cancelling a pending launch', async () => {
      const t = (await h.call('Administrator', {
        method: 'POST', url: `${base}/tasks`, payload: { name: 'now', deviceIds: ids, content: { measurements: [{ archive: 'current' }], states: ['state-relay'] } },
      })).json();
      fleet.meter('0123456790').unsupported = new Set(['state-relay']);
      const run = await h.call('Administrator', { method: 'POST', url: `${base}/tasks/${t.id}/run` });
      assert.deepEqual([run.statusCode, run.json().state, run.json().trigger, run.json().username], [202, 'pending', 'manual', 'u-administrator']);
      await scheduler.drain();
      const l = (await h.call('Operator', { method: 'GET', url: `${base}/launches/${run.json().id}` })).json();
      assert.deepEqual([l.state, l.result, l.progress, l.statistics], ['finished', 'partial', 100, { total: 2, success: 1, partial: 1, error: 0, absent: 0, cancelled: 0 }]);
      assert.ok(l.startedAt && l.finishedAt);
      const partial = (await h.call('Operator', { method: 'GET', url: `${base}/launches/${l.id}/devices?result=partial` })).json();
      assert.deepEqual(partial.items.map((d: { serialNumber: string; note: string }) => [d.serialNumber, d.note]), [['0123456790', 'state-relay: object undefined']]);
      const log = await h.call('Operator', { method: 'GET', url: `${base}/launches/${l.id}/devices/${ids[0]}/log` });
      assert.match(log.headers['content-type'] as string, /^text\/plain/);
      assert.match(log.body, /GET current\nGET state-relay/);

      const second = (await h.call('Administrator', { method: 'POST', url: `${base}/tasks/${t.id}/run` })).json();
      const cancel = await h.call('Administrator', { method: 'POST', url: `${base}/launches/${second.id}/cancel` });
      assert.deepEqual([cancel.json().state, cancel.json().result], ['finished', 'cancelled-by-user']);
      const again = await h.call('Administrator', { method: 'POST', url: `${base}/launches/${second.id}/cancel` });
      assert.deepEqual([again.statusCode, again.json().error.code], [409, 'LAUNCH_FINISHED']);
      const history = (await h.call('Operator', { method: 'GET', url: `${base}/tasks/${t.id}/launches` })).json();
      assert.deepEqual(history.items.map((x: { result: string }) => x.result), ['cancelled-by-user', 'partial']);
    });

    it('one-off tasks from a template and from the action builder carry their initiator', async () => {
      const template = (await h.call('Administrator', {
        method: 'POST', url: `${base}/tasks`, payload: { name: 'tpl', groupIds: [], deviceIds: [ids[0]], content: { events: { journals: ['relay'], depth: { count: 1, unit: 'days' } } } },
      })).json();
      const r = await h.call('Administrator', { method: 'POST', url: `${base}/other-tasks`, payload: { source: 'template', templateTaskId: template.id, deviceIds: [ids[1]] } });
      assert.equal(r.statusCode, 201, r.body);
      assert.deepEqual([r.json().kind, r.json().source, r.json().initiator, r.json().content, r.json().launch.trigger], ['one-off', 'template', 'console', template.content, 'one-off']);
      const iec = await h.call('Administrator', { method: 'POST', url: `${base}/other-tasks`, payload: { source: 'action-builder', initiator: 'iec', deviceIds: [ids[0]], content: { states: ['state-info'] } } });
      assert.equal(iec.json().initiator, 'iec');
      await scheduler.drain();
      const others = (await h.call('Operator', { method: 'GET', url: `${base}/other-tasks` })).json();
      assert.deepEqual(others.items.map((o: { initiator: string; lastLaunch: { result: string } }) => [o.initiator, o.lastLaunch.result]), [['iec', 'success'], ['console', 'success']]);
    });

    it('a role that may write tasks but not control devices cannot send commands through a task', async () => {
      await h.addRole('Planner', ['Read.DataCollection.Job', 'Write.DataCollection.Job', 'Write.Scheduler.JobLaunches']);
      const relay = { commands: [{ function: 'relay-disconnect', params: { relay: 'load' } }] };
      const refused = async (method: 'POST' | 'PATCH', url: string, payload: object) => {
        const r = await h.call('Planner', { method, url, payload });
        assert.deepEqual([r.statusCode, r.json().error.code], [403, 'FORBIDDEN'], r.body);
        assert.match(r.json().error.message, /Execute\.ESB\.Device\.Control/);
      };
      await refused('POST', `${base}/tasks`, { name: 'Cut off', deviceIds: [ids[0]], content: relay });
      await refused('POST', `${base}/other-tasks`, { source: 'action-builder', deviceIds: [ids[0]], content: relay });
      const mine = await h.call('Planner', { method: 'POST', url: `${base}/tasks`, payload: { name: 'Daily', deviceIds: [ids[0]], content: { states: ['state-info'] } } });
      assert.equal(mine.statusCode, 201, mine.body);
      await refused('PATCH', `${base}/tasks/${mine.json().id}`, { content: relay });
      const admins = await h.call('Administrator', { method: 'POST', url: `${base}/tasks`, payload: { name: 'Tariff', deviceIds: [ids[0]], content: { commands: [{ function: 'tariff-read-active' }] } } });
      assert.equal(admins.statusCode, 201, admins.body);
      await refused('POST', `${base}/tasks/${admins.json().id}/copy`, {});
      // Copying, changing and creating without commands stays allowed.
      assert.equal((await h.call('Planner', { method: 'POST', url: `${base}/tasks/${mine.json().id}/copy`, payload: {} })).statusCode, 201);
    });

    it('a relay disconnect waits for a second user\'s approval when the project says so', async () => {
      const s = await h.call('Administrator', { method: 'PUT', url: `${base}/control-settings`, payload: { relayDisconnectApproval: true } });
      assert.equal(s.json().relayDisconnectApproval, true, s.body);
      assert.deepEqual([s.json().clockMaxDriftSeconds, s.json().clockMinDriftSeconds], [300, 5], 'the clock drift defaults');
      const minAboveMax = await h.call('Administrator', { method: 'PUT', url: `${base}/control-settings`, payload: { clockMinDriftSeconds: 300 } });
      assert.deepEqual([minAboveMax.statusCode, minAboveMax.json().error.field], [400, 'body.clockMinDriftSeconds']);
      const both = await h.call('Administrator', { method: 'PUT', url: `${base}/control-settings`, payload: { clockMinDriftSeconds: 2, clockMaxDriftSeconds: 120 } });
      assert.deepEqual([both.statusCode, both.json().clockMinDriftSeconds, both.json().clockMaxDriftSeconds, both.json().relayDisconnectApproval], [200, 2, 120, true]);
      // the project's event severities over the profiles'
      const severities = await h.call('Administrator', { method: 'PUT', url: `${base}/control-settings`, payload: { eventSeverities: { 'terminal cover removed': 'major' } } });
      assert.deepEqual([severities.statusCode, severities.json().eventSeverities, severities.json().clockMinDriftSeconds], [200, { 'terminal cover removed': 'major' }, 2]);
      const loud = await h.call('Administrator', { method: 'PUT', url: `${base}/control-settings`, payload: { eventSeverities: { 'power off': 'loud' } } });
      assert.equal(loud.statusCode, 400, loud.body);
      assert.match(loud.json().error.field, /^body\.eventSeverities/);
      const req = await h.call('Operator', { method: 'POST', url: `${base}/commands/control`, payload: { deviceIds: [ids[0]], function: 'relay-disconnect', params: { relay: 'load' } } });
      assert.equal(req.statusCode, 201, req.body);
      assert.deepEqual([req.json().approval, req.json().launch], ['awaiting', null]);
      const id = req.json().id;
      const run = await h.call('Administrator', { method: 'POST', url: `${base}/tasks/${id}/run` });
      assert.deepEqual([run.statusCode, run.json().error.code], [409, 'APPROVAL_REQUIRED']);
      const self = await h.call('Operator', { method: 'POST', url: `${base}/tasks/${id}/approve` });
      assert.deepEqual([self.statusCode, self.json().error.code], [403, 'SAME_USER']);
      const ok = await h.call('Administrator', { method: 'POST', url: `${base}/tasks/${id}/approve` });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual([ok.json().approval, ok.json().launch.state, ok.json().launch.username], ['approved', 'pending', 'u-operator']);
      const twice = await h.call('Project Manager', { method: 'POST', url: `${base}/tasks/${id}/approve` });
      assert.deepEqual([twice.statusCode, twice.json().error.code], [409, 'NOT_AWAITING_APPROVAL']);
      await scheduler.drain();
      const hist = (await h.call('User', { method: 'GET', url: `${base}/devices/${ids[0]}/commands?function=relay-disconnect` })).json();
      assert.deepEqual(hist.items.map((c: Record<string, unknown>) => [c.function, c.username, c.launchType, c.state, c.params]), [['relay-disconnect', 'u-operator', 'user', 'done', { relay: 'load' }]]);
      assert.ok(hist.items[0].startedAt && hist.items[0].finishedAt);

      const rejected = (await h.call('Operator', { method: 'POST', url: `${base}/commands/control`, payload: { deviceIds: [ids[1]], function: 'relay-disconnect' } })).json();
      const no = await h.call('Administrator', { method: 'POST', url: `${base}/tasks/${rejected.id}/reject` });
      assert.equal(no.json().approval, 'rejected');
      const m2m = await h.call('M2M', { method: 'POST', url: `${base}/commands/control`, payload: { deviceIds: [ids[1]], function: 'relay-connect' } });
      assert.deepEqual([m2m.statusCode, m2m.json().initiator, m2m.json().approval], [201, 'api', 'not-required'], 'connecting needs no approval');
      await scheduler.drain();
      const hist2 = (await h.call('User', { method: 'GET', url: `${base}/devices/${ids[1]}/commands` })).json();
      assert.deepEqual(hist2.items.map((c: Record<string, unknown>) => [c.function, c.launchType]), [['relay-connect', 'api']]);
    });
  });
}
