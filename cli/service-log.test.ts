/**
 * The service log of a running HES (issue 15 §3): the roles write their start, configuration changes made
 * through the API, and failed launches; GET /service-logs and its CSV export show them; old entries are pruned.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { seedDevices } from '../scheduler/testing.js';
import * as tasks from '../scheduler/tasks.js';
import { HesClient, freePort, poll } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

interface LogRow { at: string; app: string; level: string; logger: string; message: string; details: Record<string, unknown> }

describe('the service log of a running HES', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-service-log-'));
  let hes: RunningHes;
  let api: HesClient;
  const logs = async (query = '') => {
    await hes.serviceLog.flush();
    return (await api.get<{ items: LogRow[] }>(`/service-logs?limit=1000${query}`)).items;
  };

  before(async () => {
    hes = await startHes(loadConfig({ env: {}, overrides: { dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', serviceLogRetentionDays: 7 } }));
    api = new HesClient(`${hes.url}/api/v1`);
    await api.signIn('admin', 'hesadmin', 'Service-log-1');
  });
  after(async () => {
    await hes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the start of each role and the configuration it started with', async () => {
    const rows = await logs('&level=info');
    const started = rows.filter((r) => r.logger === 'role').map((r) => r.app).sort();
    assert.deepEqual(started, ['api', 'pipeline', 'registry', 'scheduler']);
    assert.match(rows.find((r) => r.app === 'api')!.message, new RegExp(`API listening on ${hes.url}`));
    // The configuration it started with, secrets left out.
    const configuration = rows.find((r) => r.app === 'hes' && r.logger === 'configuration')!;
    assert.deepEqual([configuration.details.dataDir, configuration.details.serviceLogRetentionDays, configuration.details.masterKey], [hes.config.dataDir, 7, 'generated']);
  });

  it('records a configuration change made through the API, with who made it', async () => {
    const project = await api.post<{ id: string }>('/projects', { name: 'service-log' });
    await api.call('PUT', '/port-bindings/4059', { projectId: project.id });
    const change = (await logs('&app=api')).find((r) => r.logger === 'configuration');
    assert.ok(change, 'a configuration entry');
    assert.equal(change.app, 'api');
    assert.match(change.message, /SSET_CONFIGURATION_CHANGE by admin/);
    assert.deepEqual([change.details.portBinding, change.details.projectId], [4059, project.id]);
    // The CSV export holds the same real rows.
    const csv = await (await fetch(`${hes.url}/api/v1/service-logs/export?app=api`, { headers: { authorization: `Bearer ${api.token}` } })).text();
    const lines = csv.trim().split('\r\n');
    assert.equal(lines[0], 'at,app,level,logger,message,details');
    assert.ok(lines.some((l) => l.includes('"configuration"') && l.includes('SSET_CONFIGURATION_CHANGE')), csv);
  });

  it('records a launch that failed, with its devices\' notes', async () => {
    const db = hes.registry.db;
    const project = await api.post<{ id: string }>('/projects', { name: 'service-log-launch' });
    const { ids, primaryChannel } = await seedDevices(db, project.id, ['SL-0001']);
    await db.query(`UPDATE channels SET settings = jsonb_build_object('host', '127.0.0.1', 'port', $2::int) WHERE id = $1`, [primaryChannel, await freePort()]);
    const admin = (await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`)).rows[0]!;
    const actor = { userId: admin.id, username: 'admin', m2m: false };
    const task = await tasks.createTask(db, project.id, { kind: 'scheduled', name: 'unreachable', deviceIds: ids, content: { states: ['state-time'] } }, actor);
    const launch = await tasks.runNow(db, project.id, String(task.id), actor);
    await poll(() => tasks.getLaunch(db, project.id, String(launch.id)), (l) => l.state === 'finished', 60_000, 200, 'the launch finished');
    const failed = await poll(async () => (await logs('&level=error')).find((r) => r.logger === 'launch'), (r) => r !== undefined, 10_000, 200, 'a launch entry');
    assert.equal(failed!.app, 'scheduler');
    assert.match(failed!.message, new RegExp(`launch ${launch.id} failed: 1 of 1 devices in error`));
    assert.equal(failed!.details.taskId, task.id);
  });

  it('prunes the entries older than the retention, keeping the others', async () => {
    const db = hes.registry.db;
    await db.query(`INSERT INTO service_logs (at, app, level, logger, message) VALUES (now() - interval '8 days', 'api', 'info', 'role', 'old'), (now() - interval '6 days', 'api', 'info', 'role', 'recent')`);
    assert.equal(await hes.serviceLog.prune(), 1);
    const messages = (await logs()).map((r) => r.message);
    assert.ok(!messages.includes('old'));
    assert.ok(messages.includes('recent'));
  });
});
