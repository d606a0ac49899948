/**
 * End to end (issue 7 §8): a simulated fleet (`hes sim`) and the HES (`hes start`) as real child processes,
 * driven only through the REST API and the CLI, as an operator would. A fleet of 17 CE308 meters behind one
 * port (wrapper, HLS-GMAC with the keys the simulator exported) is registered by hand: a project, TCP
 * channels, one DLMS protocol per meter, devices and comm lines. Then:
 *   - a daily read (end-of-day registers + 15-minute profile): register values equal the simulator's energy
 *     model, and a day's 15-minute intervals sum to the difference of the daily A+ registers;
 *   - faults give the right per-device results and notes (a silent meter, a meter holding other keys, a
 *     meter with a power outage every day, whose profile misses the outage's intervals);
 *   - relay disconnect (second-user approval) and connect change the simulated relay, checked with
 *     `hes read`, and appear in the device's command history;
 *   - a launch cancelled through the API stops ("cancelled by user"; devices not read yet stay unread);
 *   - gaps are re-collected by follow-up launches (bounded);
 *   - SIGKILL of the HES mid-launch and a restart on the same data dir: the launch is taken over and
 *     finishes, and no reading is lost or doubled.
 * Slow meters (500 ms per answer) on an exclusive channel make launches last long enough to cancel or kill.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FLEET, Fleet, type FleetConfig } from '../sim/fleet.js';
import { registersAt } from '../sim/model/energy.js';
import { HesClient, poll, spawnHes, type HesProcess } from './hes-process.js';

const DAY = 86_400_000;
const PASSWORD = 'E2e-admin-pass1';
const HES_TITLE = '4845533030303031'; // "HES00001"

/** Meter roles by index: 0–7 plain, then the faulty ones, then the slow ones (their own group and exclusive channel). */
const PLAIN = [0, 1, 2, 3, 4, 5, 6, 7];
const SILENT = 8, WRONG_KEYS = 9, OUTAGE = 10;
const SLOW = [11, 12, 13, 14, 15, 16];
const MAIN = [...PLAIN, SILENT, WRONG_KEYS, OUTAGE];
const serialOf = (i: number) => String(30800001 + i);

const fleetConfig: FleetConfig = {
  ...DEFAULT_FLEET,
  meters: 17,
  profile: 'ce308',
  security: 'high-gmac',
  faults: [
    { serials: [serialOf(SILENT)], silent: true },
    { serials: [serialOf(WRONG_KEYS)], wrongKeys: true },
    { serials: [serialOf(OUTAGE)], outagesPerDay: 1 },
    { serials: SLOW.map(serialOf), latencyMs: 500 },
  ],
};

interface Reading { archive: string; code: string; tag: string | null; deviceTime: string; value: { value: number; unit: string } }
interface Launch {
  id: string; state: string; result: string; progress: number; trigger: string; taskId: string;
  statistics: { total: number; success: number; partial: number; error: number; absent: number; cancelled: number };
}
interface LaunchDevice { deviceId: string; serialNumber: string; result: string; note: string }
interface Keys { serial: string; password: string; blockCipherKey: string; authenticationKey: string }

describe('the running HES, end to end', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-e2e-'));
  const dataDir = join(dir, 'hes');
  let sim: HesProcess;
  let hes: HesProcess;
  let api: HesClient;
  let simPort = 0;
  let keys: Keys[] = [];
  let p = '';
  const deviceOf = new Map<number, string>();
  const protocolOf = new Map<number, string>();
  let mainLaunch: Launch;
  let mainTask = '';
  let groups: { main: string; slow: string };

  const startHes = async () => {
    hes = spawnHes(['start', '--data-dir', dataDir, '--http-port', '0', '--http-host', '127.0.0.1']);
    const m = await hes.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/, 180_000);
    api = new HesClient(`${m[1]}/api/v1`);
  };
  const launch = (id: string) => {
    if (hes.child.exitCode !== null || hes.child.signalCode !== null) assert.fail(`hes start exited (${hes.child.exitCode ?? hes.child.signalCode}):\n${hes.output}`);
    return api.get<Launch>(`${p}/launches/${id}`);
  };
  const finished = (id: string, timeoutMs = 90_000) => poll(() => launch(id), (l) => l.state === 'finished', timeoutMs, 250, `launch ${id} finished`);
  const launchDevices = async (id: string) => (await api.get<{ items: LaunchDevice[] }>(`${p}/launches/${id}/devices?limit=100`)).items;
  const readings = async (i: number, query: string) => {
    const r = await api.get<{ items: Reading[]; total: number }>(`${p}/devices/${deviceOf.get(i)}/measurements?limit=10000&${query}`);
    assert.ok(r.items.length === r.total, `all readings on one page (${r.total})`);
    return r.items.sort((a, b) => a.deviceTime.localeCompare(b.deviceTime) || a.code.localeCompare(b.code));
  };
  /** Readings stored by the pipeline after the launch (asynchronously): wait until at least `min` rows are there. */
  const settled = (i: number, query: string, min: number) =>
    poll(() => readings(i, query), (rows) => rows.length >= min, 60_000, 500, `meter ${i}: ${min} readings of ${query}`);
  /** `hes read` against the simulator: meter i's load relay output_state (reading client, LLS). */
  const relayOutput = async (i: number): Promise<unknown> => {
    const r = spawnHes(['read', '--host', '127.0.0.1', '--port', String(simPort), '--framing', 'wrapper', '--server', String(256 + i),
      '--client', '32', '--auth', 'low', '--password', keys[i]!.password, '--get', '0.0.96.3.10.255:70:2']);
    assert.equal(await r.exited, 0, r.output);
    return (JSON.parse(r.output) as { results: { value: unknown }[] }).results[0]!.value;
  };
  const runTask = async (body: object) => {
    const task = await api.post<{ id: string }>(`${p}/tasks`, body);
    return { taskId: task.id, launchId: (await api.post<{ id: string }>(`${p}/tasks/${task.id}/run`)).id };
  };

  before(async () => {
    const config = join(dir, 'sim.json');
    writeFileSync(config, JSON.stringify({ ...fleetConfig, port: 0, framing: 'wrapper', stateFile: join(dir, 'sim-state.json'), keysFile: join(dir, 'meters.json') }));
    sim = spawnHes(['sim', '--config', config]);
    simPort = Number((await sim.waitFor(new RegExp(`${serialOf(0)}  127\\.0\\.0\\.1:(\\d+)`)))[1]);
    await sim.waitFor(/all meters with their addresses and keys/);
    keys = JSON.parse(readFileSync(join(dir, 'meters.json'), 'utf8')) as Keys[];
    await startHes();
  });

  after(async () => {
    await hes?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the fleet through the API: project, groups, channels, protocols with the meters\' keys, devices, comm lines', async () => {
    await api.signIn('admin', 'hesadmin', PASSWORD);
    const project = await api.post<{ id: string }>('/projects', { name: 'E2E', timeZone: 'Europe/Moscow' });
    p = `/projects/${project.id}`;
    const group = async (name: string) => (await api.post<{ id: string }>(`${p}/groups`, { name })).id;
    groups = { main: await group('Main'), slow: await group('Slow') };
    const channel = async (name: string, exclusive: boolean) =>
      (await api.post<{ id: string }>(`${p}/channels`, { name, kind: 'TCP', exclusive, settings: { host: '127.0.0.1', port: simPort } })).id;
    const channels = { gateway: await channel('Simulator gateway', false), slow: await channel('Slow line', true) };
    for (const i of [...MAIN, ...SLOW]) {
      const k = keys[i]!;
      assert.equal(k.serial, serialOf(i));
      const protocol = await api.post<{ id: string }>(`${p}/protocols`, {
        name: `DLMS ${k.serial}`, kind: 'DLMS',
        settings: {
          authentication: 'high', clientAddress: 48, serverAddressLength: 0, maxPduRx: 1024, systemTitle: HES_TITLE,
          encryptionKey: k.blockCipherKey, authenticationKey: k.authenticationKey,
          // The silent meter fails fast: one 2 s wait, no resend.
          ...(i === SILENT ? { waitTime: 2, resendCount: 0 } : { waitTime: 10, resendCount: 1 }),
        },
      });
      const slow = SLOW.includes(i);
      const device = await api.post<{ id: string }>(`${p}/devices`, { serialNumber: k.serial, type: 'CE308', groupId: slow ? groups.slow : groups.main });
      await api.post(`${p}/comm-lines`, {
        deviceId: device.id, channelId: slow ? channels.slow : channels.gateway, protocolId: protocol.id, profileId: 'DL_CE_308',
        protocolMap: 'PROTO_MAP_SPODES_CE308_V12', priority: 10, address: String(256 + i), attempts: 1,
      });
      deviceOf.set(i, device.id);
      protocolOf.set(i, protocol.id);
    }
    const listed = await api.get<{ total: number }>(`${p}/devices?limit=1`);
    assert.equal(listed.total, MAIN.length + SLOW.length);
    await api.call('PUT', `${p}/control-settings`, { relayDisconnectApproval: true });

    // The daily read of the main group: three days of end-of-day registers and two days of 15-minute profile.
    const { launchId, taskId } = await runTask({
      name: 'Daily read', groupIds: [groups.main], priority: 500, retries: 0,
      content: { measurements: [{ archive: 'end-of-day', depth: { count: 3, unit: 'days' } }, { archive: 'profile-15', depth: { count: 2, unit: 'days' } }] },
    });
    mainLaunch = await finished(launchId);
    mainTask = taskId;
  });

  it('per-device results and notes: plain and outage meters succeed, the silent meter and the wrong key fail', async () => {
    assert.equal(mainLaunch.result, 'error', JSON.stringify(mainLaunch));
    assert.deepEqual(mainLaunch.statistics, { total: MAIN.length, success: PLAIN.length + 1, partial: 0, error: 2, absent: 0, cancelled: 0 });
    const bySerial = new Map((await launchDevices(mainLaunch.id)).map((d) => [d.serialNumber, d]));
    for (const i of [...PLAIN, OUTAGE]) assert.equal(bySerial.get(serialOf(i))?.result, 'success', JSON.stringify(bySerial.get(serialOf(i))));
    const silent = bySerial.get(serialOf(SILENT))!;
    assert.equal(silent.result, 'error');
    assert.match(silent.note, /no answer|timed? ?out|timeout/i);
    const wrong = bySerial.get(serialOf(WRONG_KEYS))!;
    assert.equal(wrong.result, 'error');
    // The meter cannot decipher the AARQ made with the exported keys: the association is rejected.
    assert.match(wrong.note, /association rejected.*deciphering-error/);
    // The exchange log of the failed session says where it stopped.
    const log = await (await fetch(`${api.base}${p}/launches/${mainLaunch.id}/devices/${deviceOf.get(WRONG_KEYS)}/log`, { headers: { authorization: `Bearer ${api.token}` } })).text();
    assert.match(log, /attempt 1/);
    assert.equal((await readings(SILENT, 'archive=profile-15')).length, 0);
    assert.equal((await readings(WRONG_KEYS, 'archive=end-of-day')).length, 0);

    // The operator corrects the meter's keys; the gap re-collection below reads it then.
    const held = new Fleet(fleetConfig).meterKeys(WRONG_KEYS);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
    await api.call('PATCH', `${p}/protocols/${protocolOf.get(WRONG_KEYS)}`, {
      kind: 'DLMS',
      settings: {
        authentication: 'high', clientAddress: 48, serverAddressLength: 0, maxPduRx: 1024, systemTitle: HES_TITLE, waitTime: 10, resendCount: 1,
        encryptionKey: hex(held.blockCipherKey), authenticationKey: hex(held.authenticationKey),
      },
    });
  });

  it('readings equal the simulator: end-of-day registers = the energy model, a day of 15-minute intervals = the register difference', async () => {
    const fleet = new Fleet(fleetConfig);
    for (const i of [...PLAIN, OUTAGE]) {
      const days = await settled(i, 'archive=end-of-day&tag=A%2B%20T0', 3);
      const meter = fleet.meter(i);
      for (const d of days) {
        assert.equal(d.value.unit, 'Wh');
        assert.equal(d.value.value, registersAt(meter.load, 0, Date.parse(d.deviceTime), meter.offsetsWh[0]!)[0], `meter ${i} A+ at ${d.deviceTime}`);
      }
      const [d0, d1] = days.slice(-2) as [Reading, Reading];
      const from = Date.parse(d0.deviceTime), to = Date.parse(d1.deviceTime);
      assert.equal(to - from, DAY);
      // Intervals are stamped at their end: the day is (d0, d1].
      const q = `archive=profile-15&tag=A%2B%20T0&from=${new Date(from + 1000).toISOString()}&to=${new Date(to + 1000).toISOString()}`;
      const intervals = await settled(i, q, i === OUTAGE ? 96 - 16 : 96);
      if (i === OUTAGE) assert.ok(intervals.length < 96 && intervals.length >= 96 - 16, `the outage removes 1–4 hours: ${intervals.length} intervals`);
      else assert.equal(intervals.length, 96, `meter ${i}`);
      assert.equal(intervals.reduce((s, r) => s + r.value.value, 0), d1.value.value - d0.value.value, `meter ${i}: registers = sum of intervals`);
    }
  });

  it('relay disconnect (approved by a second user) and connect switch the simulated relay and appear in the command history', async () => {
    const i = PLAIN[0]!;
    const device = deviceOf.get(i)!;
    assert.deepEqual(await relayOutput(i), { data: { boolean: true } }, 'the relay starts connected');
    const asked = await api.post<{ id: string; approval: string; launch: Launch | null }>(`${p}/commands/control`, { deviceIds: [device], function: 'relay-disconnect', params: { relay: 'load' } });
    assert.equal(asked.approval, 'awaiting');
    assert.equal(asked.launch, null);
    await assert.rejects(api.post(`${p}/tasks/${asked.id}/approve`), /SAME_USER/);
    const roles = await api.get<{ items: { id: string; name: string }[] }>('/roles?limit=100');
    const operatorRole = roles.items.find((r) => /operator/i.test(r.name))!;
    const user = await api.post<{ id: string }>('/users', { username: 'operator2', password: 'Operator-pass2', roleId: operatorRole.id, mustChangePassword: false });
    await api.call('PUT', `${p}/members/${user.id}`);
    const operator = new HesClient(api.base);
    await operator.signIn('operator2', 'Operator-pass2');
    const approved = await operator.post<{ approval: string; launch: Launch }>(`${p}/tasks/${asked.id}/approve`);
    assert.equal(approved.approval, 'approved');
    assert.equal((await finished(approved.launch.id)).result, 'success');
    assert.deepEqual(await relayOutput(i), { data: { boolean: false } }, 'disconnected');

    const connect = await api.post<{ launch: Launch }>(`${p}/commands/control`, { deviceIds: [device], function: 'relay-connect', params: { relay: 'load' } });
    assert.equal((await finished(connect.launch.id)).result, 'success');
    assert.deepEqual(await relayOutput(i), { data: { boolean: true } }, 'connected again');

    const history = (await api.get<{ items: { function: string; state: string; username: string; result: { state: string }; launchId: string }[] }>(`${p}/devices/${device}/commands`)).items;
    assert.deepEqual(history.map((c) => [c.function, c.state, c.username, c.result.state]), [
      ['relay-connect', 'done', 'admin', 'connected'],
      ['relay-disconnect', 'done', 'admin', 'disconnected'],
    ]);
    assert.deepEqual(history.map((c) => c.launchId), [connect.launch.id, approved.launch.id]);
  });

  it('a launch cancelled through the API stops: "cancelled by user", devices not read yet are not read', async () => {
    // One session at a time on the exclusive channel, 500 ms per answer: the launch lasts many seconds.
    const { launchId } = await runTask({ name: 'Slow hourly profile', groupIds: [groups.slow], retries: 0, content: { measurements: [{ archive: 'profile-60', depth: { count: 1, unit: 'days' } }] } });
    await poll(() => launch(launchId), (l) => l.statistics.success >= 1 || l.state === 'finished', 90_000, 100, 'a first device read');
    const cancelled = await api.post<Launch>(`${p}/launches/${launchId}/cancel`);
    assert.equal(cancelled.state, 'running', 'the launch was still running when cancelled');
    const l = await finished(launchId);
    assert.equal(l.result, 'cancelled-by-user');
    assert.ok(l.statistics.cancelled >= 1 && l.statistics.error === 0, JSON.stringify(l.statistics));
    assert.equal(l.statistics.success + l.statistics.cancelled, SLOW.length);
    // Only the device whose session was in flight when the cancel was seen may have read its archive.
    const succeeded = (await launchDevices(launchId)).filter((d) => d.result === 'success').map((d) => d.serialNumber);
    for (const i of SLOW) if (succeeded.includes(serialOf(i))) await settled(i, 'archive=profile-60', 24);
    const read: string[] = [];
    for (const i of SLOW) if ((await readings(i, 'archive=profile-60')).length) read.push(serialOf(i));
    assert.ok(succeeded.every((s) => read.includes(s)), `read: ${read}, succeeded: ${succeeded}`);
    assert.ok(read.length <= succeeded.length + 1, `read: ${read}, succeeded: ${succeeded}`);
  });

  it('gaps are re-collected automatically: a follow-up launch reads the missing ranges of the failed and the outage meters', async () => {
    // The scheduler checks a finished launch once the pipeline has stored its readings, and queues a launch
    // of the same task (trigger "gap") linked to it, for the devices with missing slots only.
    const launches = await poll(
      () => api.get<{ items: (Launch & { sourceLaunchId: string | null })[] }>(`${p}/tasks/${mainTask}/launches?limit=100`),
      (r) => r.items.some((l) => l.trigger === 'gap' && l.sourceLaunchId === mainLaunch.id && l.state === 'finished'),
      120_000, 500, 'a finished gap re-collection of the daily read',
    );
    const gap = launches.items.find((l) => l.trigger === 'gap' && l.sourceLaunchId === mainLaunch.id)!;
    const devices = await launchDevices(gap.id);
    assert.deepEqual(devices.map((d) => d.serialNumber).sort(), [SILENT, WRONG_KEYS, OUTAGE].map(serialOf), 'only the devices with gaps');
    const result = new Map(devices.map((d) => [d.serialNumber, d.result]));
    assert.equal(result.get(serialOf(SILENT)), 'error');
    assert.equal(result.get(serialOf(WRONG_KEYS)), 'success', 'read with the corrected keys');
    assert.equal(result.get(serialOf(OUTAGE)), 'success', 'read again; the outage intervals do not exist on the meter');
    // The re-collected meter now has what the first launch missed, equal to the simulator.
    const meter = new Fleet(fleetConfig).meter(WRONG_KEYS);
    const days = await settled(WRONG_KEYS, 'archive=end-of-day&tag=A%2B%20T0', 3);
    for (const d of days) assert.equal(d.value.value, registersAt(meter.load, 0, Date.parse(d.deviceTime), meter.offsetsWh[0]!)[0]);
    const [d0, d1] = days.slice(-2) as [Reading, Reading];
    const q = `archive=profile-15&tag=A%2B%20T0&from=${new Date(Date.parse(d0.deviceTime) + 1000).toISOString()}&to=${new Date(Date.parse(d1.deviceTime) + 1000).toISOString()}`;
    const intervals = await settled(WRONG_KEYS, q, 96);
    assert.equal(intervals.length, 96);
    assert.equal(intervals.reduce((s, r) => s + r.value.value, 0), d1.value.value - d0.value.value);
    // Bounded: re-collections chain to the daily read, at most three a day (the silent meter never answers).
    const gaps = launches.items.filter((l) => l.trigger === 'gap');
    assert.ok(gaps.length <= 3, `${gaps.length} re-collections`);
    const ids = new Set([mainLaunch.id, ...gaps.map((l) => l.id)]);
    for (const l of gaps) assert.ok(ids.has(l.sourceLaunchId!), 'each re-collection repairs the daily read or a re-collection of it');
  });

  it('SIGKILL of the HES mid-launch and a restart on the same data dir: the launch finishes, no reading lost or doubled', async () => {
    const { launchId } = await runTask({ name: 'Slow half-hour profile', groupIds: [groups.slow], retries: 0, content: { measurements: [{ archive: 'profile-30', depth: { count: 1, unit: 'days' } }] } });
    // Killed with half of the devices read (fewer to read after the restart).
    const before = await poll(() => launch(launchId), (l) => l.statistics.success >= SLOW.length / 2 || l.state === 'finished', 90_000, 100, 'half of the devices read');
    assert.equal(before.state, 'running');
    assert.equal(await hes.stop('SIGKILL'), 'SIGKILL');
    await startHes();
    await api.signIn('admin', PASSWORD);
    // The dead instance's lease runs out, a new one claims the launch and reads the devices without a result.
    const l = await finished(launchId, 120_000);
    assert.equal(l.result, 'success', JSON.stringify(l));
    assert.equal(l.statistics.success, SLOW.length);
    for (const i of SLOW) {
      const rows = await settled(i, 'archive=profile-30', 48 * 4);
      const keys = new Set(rows.map((r) => `${r.code} ${r.deviceTime}`));
      assert.equal(keys.size, rows.length, `meter ${i}: no reading doubled`);
      const times = [...new Set(rows.map((r) => Date.parse(r.deviceTime)))].sort((a, b) => a - b);
      assert.ok(times.length >= 48, `meter ${i}: a day of half-hour intervals, got ${times.length}`);
      for (let k = 1; k < times.length; k++) assert.equal(times[k]! - times[k - 1]!, 1_800_000, `meter ${i}: no interval lost`);
      const perTime = rows.length / times.length;
      assert.ok(Number.isInteger(perTime) && perTime >= 1, `meter ${i}: every interval has all its columns`);
    }
  });
});
