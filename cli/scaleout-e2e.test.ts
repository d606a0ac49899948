/**
 * Scale-out on one machine (issue 24, docs/deployment.md): two processes of each role — api, scheduler,
 * pipeline, cenc — started by `hes start --roles`, on one PostgreSQL database, librdkafka's mock Kafka
 * cluster and a ClickHouse HTTP endpoint (chDB's, served by this test, standing in for a ClickHouse server).
 * A simulated fleet of GPRS meters dials into both CENC nodes (each meter to one, failing over to the
 * other). A daily read of all of them runs; mid-launch one scheduler (the launch's owner), one pipeline
 * consumer and one CENC node are killed with SIGKILL. The launch ends with every meter read (the surviving
 * scheduler takes the launch over, the surviving CENC node the meters that redialled it, the surviving
 * pipeline consumer the partitions), and every reading is stored once. Both API processes serve the same
 * sessions and count the same failed logins; an AMR agent reaches a meter through the CENC node that does
 * not hold it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockCluster, type MockCluster } from '../bus/kafka/mock-cluster.js';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { Topics } from '../schemas/avro/index.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { startChdbHttpEndpoint } from '../sinks/clickhouse/http-endpoint.js';
import { DEFAULT_FLEET, type FleetConfig } from '../sim/fleet.js';
import { fromHex } from '../decoders/dlms/axdr/writer.js';
import { DlmsSession } from '../ingest/session/session.js';
import { agentLines } from '../ingest/testing/agent-client.js';
import { SocketTransport } from '../ingest/transport/socket.js';
import { ApiError, HesClient, freePort, poll, spawnHes, type HesProcess } from './hes-process.js';

const PASSWORD = 'Scale-admin-pass1';
const HES_TITLE = '4845533030303033'; // "HES00003"
const METERS = 12;

interface Keys { serial: string; blockCipherKey: string; authenticationKey: string }
interface Device { id: string; serialNumber: string }
interface CommLine { id: string }
interface Launch { state: string; result: string; claimedBy: string | null; statistics: Record<string, number> }
interface Reading { code: string; deviceTime: string; tag: string | null }

describe('scale-out: two processes of each role, one of each killed mid-launch', { timeout: 420_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-scaleout-'));
  const processes = new Map<string, HesProcess>();
  const nodes = new Map<string, string>(); // node id → process name
  let t: TestDb;
  let cluster: MockCluster;
  let chdb: ChdbEngine;
  let endpoint: { url: string; close(): Promise<void> };
  let sim: HesProcess | undefined;
  const api: HesClient[] = [];
  const cencPorts: number[] = [];
  const agentPorts: number[] = [];
  let env: NodeJS.ProcessEnv = {};

  const start = async (name: string, roles: string, extra: NodeJS.ProcessEnv = {}) => {
    const p = spawnHes(['start', '--roles', roles, '--data-dir', join(dir, name), '--http-port', '0', '--http-host', '127.0.0.1'], { ...env, ...extra });
    processes.set(name, p);
    const node = await p.waitFor(/roles: \S+ \(node (\S+)\)/, 180_000);
    nodes.set(node[1]!, name);
    return p;
  };

  before(async () => {
    t = await openTestDb('postgres');
    // librdkafka's mock cluster cannot create topics after start: the ones the HES creates on a real cluster are made here.
    cluster = await startMockCluster([{ name: Topics.rawFrames, partitions: 4 }, { name: Topics.deadLetters, partitions: 1 }, { name: Topics.events, partitions: 1 }]);
    chdb = new ChdbEngine(join(dir, 'clickhouse-server'));
    endpoint = await startChdbHttpEndpoint(chdb.session);
    env = {
      HES_DATABASE_URL: t.url!, HES_MASTER_KEY: randomBytes(32).toString('hex'),
      HES_KAFKA_BROKERS: cluster.brokers.join(','), HES_KAFKA_PARTITIONS: '4', HES_KAFKA_SESSION_TIMEOUT_SECONDS: '6', HES_WIRE_FRAMES: 'off',
      HES_CLICKHOUSE_URL: endpoint.url, HES_CLICKHOUSE_USER: 'default', HES_CLICKHOUSE_DEVICES_REFRESH_SECONDS: '0',
      HES_LEASE_SECONDS: '4', HES_DECODER_THREADS: '1', HES_GAP_ROUNDS_PER_DAY: '0',
      // Two sessions at once per CENC node: the launch lasts long enough to kill processes in the middle of it.
      HES_SESSION_GLOBAL_LIMIT: '2',
    };
    // The first process applies the migrations; the others start together.
    const first = await start('api-1', 'api');
    const urls = [(await first.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!];
    agentPorts.push(await freePort(), await freePort());
    const cenc = (i: number) => ({ HES_CENC_LISTENERS: 'tcp:0:wrapper', HES_CENC_HOST: '127.0.0.1', HES_CENC_AGENT_PORT: String(agentPorts[i]) });
    const rest = await Promise.all([
      start('api-2', 'api'), start('scheduler-1', 'scheduler'), start('scheduler-2', 'scheduler'),
      start('pipeline-1', 'pipeline'), start('pipeline-2', 'pipeline'), start('cenc-1', 'cenc', cenc(0)), start('cenc-2', 'cenc', cenc(1)),
    ]);
    urls.push((await rest[0]!.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!);
    for (const p of rest.slice(5)) cencPorts.push(Number((await p.waitFor(/cenc: listening on 127\.0\.0\.1 tcp:(\d+):wrapper/))[1]));
    for (const u of urls) api.push(new HesClient(`${u}/api/v1`));
  });

  after(async () => {
    await sim?.stop();
    for (const p of processes.values()) await p.stop();
    await endpoint?.close();
    await chdb?.close();
    await cluster?.stop();
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the probes only in processes without the API, and opens no consumer outside the pipeline role', async () => {
    for (const name of ['scheduler-1', 'pipeline-1', 'cenc-1']) {
      const url = (await processes.get(name)!.waitFor(/HES node serving \/health, \/ready and \/metrics on (http:\/\/\S+) /))[1]!;
      assert.deepEqual(await (await fetch(`${url}/health`)).json(), { status: 'ok' });
      assert.equal(((await (await fetch(`${url}/ready`)).json()) as { status: string }).status, 'ready');
      assert.match(await (await fetch(`${url}/metrics`)).text(), /hes_process_|process_cpu/);
      assert.equal((await fetch(`${url}/api/v1/projects`)).status, 404, `${name} serves no API`);
    }
    assert.match(processes.get('api-1')!.output, /no pipeline consumer in this process/);
    assert.match(processes.get('pipeline-1')!.output, /decoder threads: 1/);
  });

  it('API processes share sessions and failed-login counts through PostgreSQL', async () => {
    await api[0]!.signIn('admin', 'hesadmin', PASSWORD);
    api[1]!.token = api[0]!.token;
    assert.ok(Array.isArray((await api[1]!.get<{ items: unknown[] }>('/projects')).items), 'a token from one API process works on the other');
    const attempt = (i: number) => api[i % 2]!.call('POST', '/auth/login', { username: 'nobody', password: 'wrong' }).then(() => 200, (e: ApiError) => e.status);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await attempt(i));
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429], 'five failures over both processes lock the sixth attempt');
  });

  it('a daily read of meters dialling into both CENC nodes survives killing a scheduler, a pipeline consumer and a CENC node', async () => {
    const client = api[1]!;
    const projectId = (await client.post<{ id: string }>('/projects', { name: 'Scale-out', timeZone: 'UTC' })).id;
    const p = `/projects/${projectId}`;
    for (const port of cencPorts) await client.call('PUT', `/port-bindings/${port}`, { projectId });
    const fleet: FleetConfig & Record<string, unknown> = {
      ...DEFAULT_FLEET, meters: METERS, profile: 'ce308', security: 'high-gmac', framing: 'wrapper', transport: 'initiated',
      hes: cencPorts.map((port) => `127.0.0.1:${port}`).join(','), stateFile: join(dir, 'sim-state.json'), keysFile: join(dir, 'meters.json'),
      faults: [{ latencyMs: 150 }],
    };
    writeFileSync(join(dir, 'sim.json'), JSON.stringify(fleet));
    sim = spawnHes(['sim', '--config', join(dir, 'sim.json')]);
    await sim.waitFor(/all meters with their addresses and keys/);
    const keys = JSON.parse(readFileSync(join(dir, 'meters.json'), 'utf8')) as Keys[];

    const held = () => t.db.query<{ node: string; n: number }>(`SELECT node_id AS node, count(*)::int AS n FROM cenc_connections WHERE lease_until > now() GROUP BY node_id`);
    const byNode = await poll(held, (r) => r.rows.reduce((a, x) => a + x.n, 0) === METERS, 60_000, 250, 'all meters registered and connected');
    assert.deepEqual(byNode.rows.map((r) => nodes.get(r.node)).sort(), ['cenc-1', 'cenc-2'], 'the meters are held by both CENC nodes');
    // An API process without CENC lists every node's connections from the registry.
    const listed = await client.get<{ running: boolean; items: { node: string; port: number; identity: { kind: string } }[] }>(`/cenc/connections?projectId=${projectId}`);
    assert.equal(listed.running, false);
    assert.equal(listed.items.length, METERS);
    assert.deepEqual([...new Set(listed.items.map((i) => nodes.get(i.node)))].sort(), ['cenc-1', 'cenc-2']);
    assert.ok(listed.items.every((i) => cencPorts.includes(i.port) && i.identity.kind === 'serial'), JSON.stringify(listed.items[0]));

    const devices = (await client.get<{ items: Device[] }>(`${p}/devices?limit=100`)).items;
    assert.equal(devices.length, METERS);
    for (const d of devices) {
      const k = keys.find((x) => x.serial === d.serialNumber)!;
      await client.call('PATCH', `${p}/devices/${d.id}`, { type: 'CE308' });
      const protocol = await client.post<{ id: string }>(`${p}/protocols`, {
        name: `DLMS ${k.serial}`, kind: 'DLMS',
        settings: {
          authentication: 'high', clientAddress: 48, serverAddressLength: 0, maxPduRx: 1024, systemTitle: HES_TITLE,
          encryptionKey: k.blockCipherKey, authenticationKey: k.authenticationKey, waitTime: 10, resendCount: 1,
        },
      });
      const [line] = (await client.get<{ items: CommLine[] }>(`${p}/comm-lines?deviceId=${d.id}`)).items;
      await client.call('PATCH', `${p}/comm-lines/${line!.id}`, { protocolId: protocol.id, profileId: 'DL_CE_308', protocolMap: 'PROTO_MAP_SPODES_CE308_V12' });
    }

    // An AMR agent on cenc-2's agent port reaches a meter cenc-1 holds: cenc-2 relays to cenc-1's agent port.
    await client.post(`${p}/amr-agents`, { name: 'tools', password: 'Agent-pass-1', groupIds: [] });
    const [one] = (await t.db.query<{ device: string; node: string }>('SELECT device_id AS device, node_id AS node FROM cenc_connections LIMIT 1')).rows;
    const holder = nodes.get(one!.node)!;
    const viaPort = agentPorts[holder === 'cenc-1' ? 1 : 0]!;
    const meter = devices.find((d) => d.id === one!.device)!;
    const k = keys.find((x) => x.serial === meter.serialNumber)!;
    const a = await agentLines(viaPort, ['LOGIN tools Agent-pass-1', `OPEN ${meter.serialNumber}`]);
    assert.deepEqual(a.replies, ['OK', `OK ${meter.id}`], `the agent reaches ${meter.serialNumber} (held by ${holder}) through the other node`);
    const session = await DlmsSession.open(new SocketTransport(a.socket), {
      framing: 'wrapper', clientAddress: 48, serverWPort: 1, authentication: 'high-gmac', securityPolicy: 'authenticated-and-encrypted',
      keys: { blockCipherKey: fromHex(k.blockCipherKey), authenticationKey: fromHex(k.authenticationKey) }, systemTitle: fromHex('4147454E54303031'),
    }, { waitTimeMs: 10_000 });
    const clock = await session.readClock();
    assert.ok(clock.utcMs !== null && Math.abs(clock.utcMs - Date.now()) < 120_000, `the meter's clock through two nodes ${JSON.stringify(clock)}`);
    await session.close();
    a.socket.destroy();

    const group = (await client.get<{ items: { id: string }[] }>(`${p}/groups?isDefault=true`)).items[0]!;
    const task = await client.post<{ id: string }>(`${p}/tasks`, {
      name: 'Daily', groupIds: [group.id], priority: 500, retries: 3, retryDelaySeconds: 2,
      content: { measurements: [{ archive: 'profile-30', depth: { count: 1, unit: 'days' } }] },
    });
    const launchId = (await client.post<{ id: string }>(`${p}/tasks/${task.id}/run`)).id;
    const launch = () => api[0]!.get<Launch>(`${p}/launches/${launchId}`);

    // Mid-launch: the owner scheduler, a pipeline consumer and a CENC node die at once.
    const running = await poll(launch, (l) => (l.statistics.success ?? 0) >= 2 || l.state === 'finished', 120_000, 100, 'the first meters read');
    assert.equal(running.state, 'running', 'killed mid-launch');
    const owner = nodes.get(running.claimedBy!)!;
    assert.match(owner, /^scheduler-/);
    for (const name of [owner, 'pipeline-1', 'cenc-1']) assert.equal(await processes.get(name)!.stop('SIGKILL'), 'SIGKILL');

    const done = await poll(launch, (l) => l.state === 'finished', 240_000, 250, 'the launch finished');
    assert.equal(done.result, 'success', JSON.stringify(done));
    assert.equal(done.statistics.success, METERS);
    assert.equal(nodes.get(done.claimedBy!), owner === 'scheduler-1' ? 'scheduler-2' : 'scheduler-1', 'the surviving scheduler took the launch over');
    const after = await held();
    assert.deepEqual(after.rows.map((r) => [nodes.get(r.node), r.n]), [['cenc-2', METERS]], 'the meters of the dead node redialled the other');

    // Every reading once as stored (ReplacingMergeTree read with FINAL: a batch a killed consumer stored but had
    // not committed, or a meter read again after its node died, is inserted again and replaces itself): a day
    // of half-hour intervals per meter, each (code, tariff, time) once, none missing.
    for (const d of devices) {
      const rows = await poll(
        async () => (await client.get<{ items: Reading[] }>(`${p}/devices/${d.id}/measurements?archive=profile-30&limit=1000`)).items,
        (r) => new Set(r.map((x) => x.deviceTime)).size >= 48, 120_000, 500, `meter ${d.serialNumber}: readings stored`,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\npipeline-2 said:\n${processes.get('pipeline-2')!.output.slice(-3000)}`);
      });
      const keysOf = new Set(rows.map((r) => `${r.code} ${r.tag} ${r.deviceTime}`));
      assert.equal(keysOf.size, rows.length, `meter ${d.serialNumber}: no reading doubled`);
      const times = [...new Set(rows.map((r) => Date.parse(r.deviceTime)))].sort((a, b) => a - b);
      for (let k = 1; k < times.length; k++) assert.equal(times[k]! - times[k - 1]!, 1_800_000, `meter ${d.serialNumber}: no interval lost`);
    }
  });
});
