/**
 * GET /api/v1/health/detail of a running HES (issue 15 §11): every role of the process with its state,
 * version, uptime and figures; the data folder's disk; the HES clock against an SNTP server on loopback —
 * off by more than the threshold it is an alarm, back in step the alarm is gone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { loadConfig } from '../config/index.js';
import { startSntpServer, type TestSntpServer } from '../ingest/ntp/testing.js';
import { HesClient, poll } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

interface Detail {
  status: string;
  host: { cpus: number; memoryTotalBytes: number };
  disk: { path: string; totalBytes: number; freeBytes: number };
  clock: { state: string; offsetSeconds?: number; maxOffsetSeconds?: number; server?: string };
  services: { name: string; state: string; version?: string; uptimeSeconds?: number; figures: Record<string, unknown>; lastError?: { at: string; message: string } }[];
  alarms: { code: string; message: string }[];
}

describe('health detail of a running HES', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-health-'));
  let hes: RunningHes;
  let ntp: TestSntpServer;
  let api: HesClient;
  const prefix = `hes-health-${randomUUID().slice(0, 8)}`;

  before(async () => {
    ntp = await startSntpServer(30_000); // NTP is 30 s ahead: the HES clock is behind
    hes = await startHes(loadConfig({
      env: {},
      overrides: {
        dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1,
        cenc: { listeners: ['tcp:0:wrapper'], host: '127.0.0.1' }, ntp: { server: ntp.address, maxOffsetSeconds: 2 },
        wmbus: { mqttUrl: 'mqtt://127.0.0.1:1883', mqttPrefix: prefix },
      },
    }));
    api = new HesClient(`${hes.url}/api/v1`);
    await api.signIn('admin', 'hesadmin', 'Health-pass-1');
  });
  after(async () => {
    await hes?.close();
    await ntp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every role of the process with its state, version and figures, and the data folder\'s disk', async () => {
    await hes.clock!.check();
    const d = await api.get<Detail>('/health/detail');
    assert.deepEqual(d.services.map((s) => [s.name, s.state]), [
      ['registry', 'up'], ['bus', 'up'], ['clickhouse', 'up'], ['pipeline', 'up'], ['scheduler', 'up'], ['cenc', 'up'], ['wmbus', 'up'], ['lorawan', 'up'], ['api', 'up'],
    ]);
    const by = (name: string) => d.services.find((s) => s.name === name)!;
    assert.match(by('registry').version!, /^\d+/);
    assert.match(by('clickhouse').version!, /^\d+\.\d+/);
    assert.equal(by('pipeline').figures.decoderThreads, 1);
    assert.equal(by('cenc').figures.ports, String(hes.cencPorts!.listeners[0]));
    assert.equal(by('bus').figures.kind, 'embedded');
    assert.ok(d.services.every((s) => typeof s.uptimeSeconds === 'number'));
    assert.equal(d.disk.path, hes.config.dataDir);
    assert.ok(d.disk.totalBytes > 0 && d.disk.freeBytes <= d.disk.totalBytes);
    assert.ok(d.host.cpus > 0 && d.host.memoryTotalBytes > 0);
  });

  it('raises an alarm while the HES clock is off from NTP by more than the threshold, and drops it once in step', async () => {
    ntp.skewMs = 30_000;
    await hes.clock!.check();
    const off = await api.get<Detail>('/health/detail');
    assert.equal(off.status, 'alarm');
    assert.equal(off.clock.state, 'alarm');
    assert.ok(off.clock.offsetSeconds! < -25 && off.clock.offsetSeconds! > -35, `offset ${off.clock.offsetSeconds}`);
    assert.deepEqual([off.clock.server, off.clock.maxOffsetSeconds], [ntp.address, 2]);
    const alarm = off.alarms.find((a) => a.code === 'CLOCK_OFFSET');
    assert.match(alarm!.message, /the HES clock is \d+\.\d{3} s behind NTP .*meters' clocks are not synchronised from it/);
    ntp.skewMs = 0;
    await hes.clock!.check();
    const ok = await api.get<Detail>('/health/detail');
    assert.equal(ok.clock.state, 'ok');
    assert.ok(!ok.alarms.some((a) => a.code === 'CLOCK_OFFSET'));
  });

  it('shows a connector\'s last error, also written to the service log', async () => {
    const gateway = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    try {
      await gateway.publishAsync(`${prefix}/${randomUUID()}/gw-1`, 'not json', { qos: 1 });
    } finally {
      await gateway.endAsync();
    }
    const wmbus = await poll(
      async () => (await api.get<Detail>('/health/detail')).services.find((s) => s.name === 'wmbus')!, (s) => s.lastError !== undefined, 10_000, 100, 'the wM-Bus error shown',
    );
    assert.match(wmbus.lastError!.message, /wM-Bus MQTT: message on .* refused: the payload is not JSON/);
    assert.equal(wmbus.figures.mqtt, prefix);
    await hes.serviceLog.flush();
    const logged = (await api.get<{ items: { logger: string; level: string; message: string }[] }>('/service-logs?app=wmbus&level=error')).items;
    assert.deepEqual(logged.map((r) => [r.logger, r.message]), [['mqtt', wmbus.lastError!.message]]);
  });
});
