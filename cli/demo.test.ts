/**
 * End to end: `hes start --demo 5` as a real child process (temp data dir, free port). Through the API: sign
 * in, wait for the demo tasks' first launches, and check what the pipeline stored in ClickHouse — a day of
 * 15-minute intervals sums to the daily register difference, the intervals equal what the simulated meter
 * answers to a session of our own, the power journal equals the meter's — and the states in the registry.
 * SIGTERM stops the HES cleanly; a restart on the same data dir reads on.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fleet } from '../sim/fleet.js';
import { journalEvents } from '../sim/model/events.js';
import { simFleetConfig, simSettings } from '../ingest/testing/sim-meters.js';
import { runSession } from '../ingest/session/run.js';
import { connectTcp } from '../ingest/transport/socket.js';
import { freePort } from './hes-process.js';

const DAY = 86_400_000;

interface Reading { tag: string; code: string; deviceTime: string; deviceTzMinutes: number; value: { value: number; unit: string } }

/** `hes start --demo 5` as a child process; `stop()` sends SIGTERM and resolves with the exit code. */
function startChild(dir: string, port: number) {
  const fromTs = import.meta.url.endsWith('.ts');
  const hes = fileURLToPath(new URL(fromTs ? './hes.ts' : './hes.js', import.meta.url));
  const child = spawn(process.execPath, [...(fromTs ? ['--import', 'tsx'] : []), hes, 'start', '--demo', '5', '--data-dir', dir, '--http-port', String(port), '--http-host', '127.0.0.1'], {
    env: { ...process.env, HES_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const h = { out: '', child, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout.on('data', (b: Buffer) => (h.out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (h.out += b.toString()));
  return {
    ...h,
    get out() {
      return h.out;
    },
    /** Waits for the start banner; returns the simulator's port and the demo project. */
    async started(): Promise<{ simPort: number; projectId: string }> {
      const banner = /demo: .* on 127\.0\.0\.1:(\d+).*project "Demo" ([0-9a-f-]{36})/;
      for (let i = 0; i < 1200 && !banner.test(h.out); i++) {
        if (child.exitCode !== null) assert.fail(`hes start exited: ${h.out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const m = banner.exec(h.out);
      assert.ok(m, h.out);
      return { simPort: Number(m[1]), projectId: m[2]! };
    },
    async stop(): Promise<number | null | 'timeout'> {
      child.kill('SIGTERM');
      const code = await Promise.race([h.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref())]);
      if (code === 'timeout') child.kill('SIGKILL');
      return code;
    },
  };
}

it('hes start --demo 5: readings arrive through the API, equal the meters; SIGTERM exits cleanly; a restart reads on', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-demo-'));
  const port = await freePort();
  let hes = startChild(dir, port);
  try {
    const { simPort, projectId } = await hes.started();
    let base = `http://127.0.0.1:${port}/api/v1`;
    const call = async (method: string, path: string, body?: object, token?: string) => {
      const r = await fetch(base + path, {
        method, ...(body ? { body: JSON.stringify(body) } : {}),
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      const text = await r.text();
      const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    const first = await call('POST', '/auth/login', { username: 'admin', password: 'hesadmin' });
    assert.equal(first.mustChangePassword, true);
    await call('POST', '/auth/password', { currentPassword: 'hesadmin', newPassword: 'Demo-pass1' }, first.accessToken as string);
    const token = (await call('POST', '/auth/login', { username: 'admin', password: 'Demo-pass1' })).accessToken as string;
    const p = `/projects/${projectId}`;

    // Both demo tasks were run at start: wait for their launches to finish.
    let tasks: { name: string; lastLaunch: { state: string; result: string; startedAt: string } | null }[] = [];
    for (let i = 0; i < 200; i++) {
      tasks = (await call('GET', `${p}/tasks`, undefined, token)).items as typeof tasks;
      if (tasks.length === 2 && tasks.every((t) => t.lastLaunch?.state === 'finished')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(tasks.map((t) => [t.name, t.lastLaunch?.result]).sort(), [['15-minute profile', 'success'], ['Daily: end of day', 'success']]);

    const devices = (await call('GET', `${p}/devices?limit=10`, undefined, token)).items as { id: string; serialNumber: string }[];
    assert.equal(devices.length, 5);
    const fleet = new Fleet(simFleetConfig({ meters: 5, profile: 'ce308' }));
    const device = devices.find((d) => d.serialNumber === fleet.serial(3))!;
    // The pipeline stores what the launches put on the bus asynchronously: poll until it is there.
    const readings = async (query: string, atLeast: number) => {
      let items: Reading[] = [];
      for (let i = 0; i < 200; i++) {
        items = (await call('GET', `${p}/devices/${device.id}/measurements?limit=10000&${query}`, undefined, token)).items as Reading[];
        if (items.length >= atLeast) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      return items.sort((a, b) => a.deviceTime.localeCompare(b.deviceTime));
    };
    const days = await readings('archive=end-of-day&tag=A%2B%20T0', 3);
    assert.ok(days.length >= 3, JSON.stringify(days));
    assert.ok(days.every((d) => d.code === '1.0.1.8.0.255' && d.value.unit === 'Wh' && d.deviceTzMinutes === 180), JSON.stringify(days[0]));
    const [d0, d1] = days.slice(-2) as [Reading, Reading];
    const from = Date.parse(d0.deviceTime), to = Date.parse(d1.deviceTime);
    assert.equal(to - from, DAY);
    const q = `archive=profile-15&tag=A%2B%20T0&from=${new Date(from + 1000).toISOString()}&to=${new Date(to + 1000).toISOString()}`;
    const intervals = await readings(q, 96);
    assert.equal(intervals.length, 96);
    assert.equal(intervals.reduce((s, r) => s + r.value.value, 0), d1.value.value - d0.value.value, 'registers = sum of intervals');

    // The meter itself, read by a session of our own (the reading client, no ciphering): the same intervals.
    const direct = await runSession(() => connectTcp('127.0.0.1', simPort), simSettings(fleet, 3, 'wrapper', 'low'), [
      { op: 'profile', obis: '1.0.99.3.0.255', range: { fromMs: from + 60_000, toMs: to } },
    ]);
    assert.equal(direct.ok, true, JSON.stringify(direct));
    const rows = (direct.results[0]!.value as { rows: { time: string; values: number[] }[] }).rows;
    assert.deepEqual(intervals.map((r) => [r.deviceTime.replace('.000Z', 'Z'), r.value.value]), rows.map((r) => [r.time.replace('.000Z', 'Z'), r.values[0]]));

    // The daily task also read the event journals (three days deep) and the states.
    const meter = fleet.meter(3);
    const power = meter.profile.journals.findIndex((j) => j.name === 'power');
    const readAt = Date.parse(tasks.find((t) => t.name === 'Daily: end of day')!.lastLaunch!.startedAt);
    const outages = journalEvents(meter, power, readAt).filter((e) => e.timeMs >= readAt - 3 * DAY).map((e) => [new Date(Math.floor(e.timeMs / 1000) * 1000).toISOString(), e.code]);
    let events: { deviceTime: string; code: number; name: string }[] = [];
    for (let i = 0; i < 100; i++) {
      events = (await call('GET', `${p}/devices/${device.id}/events?journal=power-on-off`, undefined, token)).items as typeof events;
      if (events.length >= outages.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(events.map((e) => [e.deviceTime, e.code]).reverse(), outages);
    assert.ok(events.every((e) => e.name === (e.code === 1 ? 'power off' : 'power on')));
    const states = (await call('GET', `${p}/devices/${device.id}/states`, undefined, token)).items as { archive: string; code: string; value: unknown }[];
    const state = (code: string) => states.find((s) => s.code === code)?.value;
    assert.deepEqual([state('serial-number'), state('firmware-version'), state('load-state'), state('time-zone'), state('error-register')], [device.serialNumber, '12.1.0', 'connected', -180, 0]);
    assert.equal(typeof state('alarm-register'), 'number');

    // SIGTERM stops it cleanly; after a restart on the same data dir (sessions ciphered with persisted
    // invocation counters on both sides) a run of the 15-minute task succeeds again.
    assert.equal(await hes.stop(), 0, `exit code after SIGTERM; output:\n${hes.out}`);
    const port2 = await freePort();
    hes = startChild(dir, port2);
    await hes.started();
    base = `http://127.0.0.1:${port2}/api/v1`;
    const token2 = (await call('POST', '/auth/login', { username: 'admin', password: 'Demo-pass1' })).accessToken as string;
    const quarter = ((await call('GET', `${p}/tasks`, undefined, token2)).items as { id: string; name: string }[]).find((t) => t.name === '15-minute profile')!;
    const finished = async (id: string) => {
      let l = await call('GET', `${p}/launches/${id}`, undefined, token2);
      for (let i = 0; i < 200 && l.state !== 'finished'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        l = await call('GET', `${p}/launches/${id}`, undefined, token2);
      }
      return l;
    };
    let launch = await finished(String((await call('POST', `${p}/tasks/${quarter.id}/run`, {}, token2)).id));
    // At a quarter hour the scheduled firing cancels the manual launch and reads instead.
    if (launch.result === 'cancelled-by-schedule') {
      const last = ((await call('GET', `${p}/tasks/${quarter.id}/launches`, undefined, token2)).items as { id: string }[])[0]!;
      launch = await finished(last.id);
    }
    assert.equal(launch.result, 'success', JSON.stringify(launch));
    assert.equal(await hes.stop(), 0, `exit code after SIGTERM; output:\n${hes.out}`);
  } finally {
    if (hes.child.exitCode === null) await hes.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
