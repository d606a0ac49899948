/**
 * `hes start`: runs the roles of cli/roles.ts — all of them by default, or those `--roles` (node.roles,
 * HES_ROLES) names, so that several processes of each role share the work (docs/deployment.md). It
 * opens the registry (migrations, first-start data) and the data plane (bus, decoder pool,
 * ClickHouse: cli/data-plane.ts), serves the API and runs the scheduler role, which reads meters over their
 * comm lines (each protocol's reader: scheduler/dlms-reader.ts, scheduler/mbus-reader.ts) and hands the answers to the bus as raw frames and states to the
 * registry (scheduler/pipeline-sink.ts). With `cenc.listeners` configured, the scheduler role also runs CENC: meters
 * with dynamic addresses connect in, are bound to their devices or self-registered through the registry
 * (registry/cenc-directory.ts), and their comm lines on CENC channels are read over the held connections; AMR
 * agents get their port when `cenc.agentPort` is set. `startHes(config)` is the one place where the running HES is
 * assembled. A process without the API role serves /health, /ready and /metrics only; one without the
 * pipeline role opens no bus consumer. `--demo N` adds a simulated fleet of N meters, registered with collection tasks (cli/demo.ts).
 */
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { keepDataPrivate, parseCencListener, parseSegmentLimit, publicConfig, type HesConfig } from '../config/index.js';
import type { SchedulerOptions as GateOptions } from '../ingest/channels/scheduler.js';
import { AmrAgentServer } from '../ingest/cenc/agents.js';
import { CencServer } from '../ingest/cenc/server.js';
import { RegistryDeviceDirectory, authenticateAgent } from '../registry/cenc-directory.js';
import { openRegistry, type Registry } from '../registry/open.js';
import { ServiceLog } from '../registry/service-log.js';
import { HesMetrics } from '../metrics/index.js';
import { listenMetrics, type MetricsListener } from '../api/metrics-listener.js';
import { HealthReport } from '../api/health.js';
import { ClockWatch } from '../ingest/ntp/clock.js';
import { Topics } from '../schemas/avro/index.js';
import { buildApp } from '../api/app.js';
import { ChannelScheduler } from '../ingest/channels/scheduler.js';
import { RegistryInvocationCounterStore } from '../scheduler/counters.js';
import { DlmsDeviceReader } from '../scheduler/dlms-reader.js';
import { MbusDeviceReader } from '../scheduler/mbus-reader.js';
import { ProtocolReaders } from '../scheduler/readers.js';
import { PipelineSink } from '../scheduler/pipeline-sink.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { FirmwareRunner } from '../scheduler/firmware.js';
import { GapCollector } from '../scheduler/gaps.js';
import { WmbusIntake } from '../ingest/wmbus/intake.js';
import { WmbusMqttFeed } from '../ingest/wmbus/mqtt.js';
import { UnknownMeters, WmbusDirectory } from '../registry/wmbus.js';
import { LorawanIntake } from '../ingest/chirpstack/intake.js';
import { ChirpstackMqttFeed } from '../ingest/chirpstack/mqtt.js';
import { LorawanCommandOutcomes, LorawanDirectory, UnknownLorawanDevices } from '../registry/lorawan.js';
import { UnbStationService } from '../ingest/unb/service.js';
import { UnbDirectory, UnbDownlinks, UnbStations, UnknownUnbDevices } from '../registry/unb.js';
import { UnbDeviceReader } from '../scheduler/unb-reader.js';
import { LorawanDeviceReader } from '../scheduler/lorawan-reader.js';
import { LorawanUplinkClaims } from '../registry/lorawan-uplinks.js';
import { ReaderRegistryCache } from '../scheduler/registry-cache.js';
import { offsetMinutes } from '../scheduler/schedule.js';
import { openDataPlane, type DataPlane } from './data-plane.js';
import { DEMO_PROJECT, startDemo, type Demo } from './demo.js';
import { parse, configFrom, registryHelp } from './options.js';
import { parseRoles, ROLE_PARTS, ROLES, type Role } from './roles.js';
import { CencConnections } from '../registry/cenc-connections.js';
import { startTelemetry } from '../telemetry/index.js';

export interface StartOptions {
  /** The roles to run (cli/roles.ts); default the configuration's `node.roles`, and all when that is empty. */
  roles?: readonly string[];
  /** false: leave the scheduler role out (`--no-scheduler`). */
  scheduler?: boolean;
  /** Start a simulated fleet of this many meters and register it in the "Demo" project. */
  demo?: number;
}

export interface RunningHes {
  config: HesConfig;
  registry: Registry;
  data: DataPlane;
  /** The roles this process runs. */
  roles: ReadonlySet<Role>;
  /** This process among the others: its scheduler's instance id and its CENC node id. */
  nodeId: string;
  /** The API (the api role). */
  api?: FastifyInstance;
  scheduler?: Scheduler;
  /** CENC, when listeners are configured (with the scheduler role: sessions run where the connections are held). */
  cenc?: CencServer;
  /** Where the CENC listeners and the AMR agent port are bound (port 0 in the configuration: the port taken). */
  cencPorts?: { listeners: number[]; agents?: number };
  demo?: Demo;
  /** Health of the roles (GET /api/v1/health/detail). */
  health: HealthReport;
  /** The HES clock against NTP, when `ntp.server` is configured. */
  clock?: ClockWatch;
  /** The service log (GET /service-logs): the roles' start and stop, configuration changes, connector errors, launch failures. */
  serviceLog: ServiceLog;
  /** The wireless M-Bus intake (HTTP route, MQTT feed when configured) and its unknown-meter tally. */
  wmbus: { intake: WmbusIntake; unknown: UnknownMeters; mqtt?: WmbusMqttFeed };
  /** The ChirpStack intake (HTTP integration route, MQTT integration feed when configured) and its unknown-device tally. */
  lorawan: { intake: LorawanIntake; unknown: UnknownLorawanDevices; mqtt?: ChirpstackMqttFeed };
  /** The UNB station service (POST /api/UnbBS/v1/messages), in a process with the `unb` role. */
  unb?: UnbStationService;
  /** Where the API listens, e.g. http://127.0.0.1:8080 (without the API role: where /health, /ready and /metrics are served). */
  url: string;
  /** The metrics of every role (served at /metrics). */
  metrics: HesMetrics;
  /** Where the metrics listener serves /metrics without a credential (`metrics.port`), e.g. http://127.0.0.1:9464 */
  metricsUrl?: string;
  close(): Promise<void>;
}

export async function startHes(config: HesConfig, opts: StartOptions = {}): Promise<RunningHes> {
  keepDataPrivate(config);
  const roles = new Set(parseRoles(opts.roles ?? config.node.roles));
  if (opts.scheduler === false) roles.delete('scheduler');
  const nodeId = `${hostname()}-${randomUUID().slice(0, 8)}`;
  const leaseMs = config.node.leaseSeconds * 1000;
  // First, so that everything started below is traced (when telemetry.enabled; nothing loaded otherwise).
  const telemetry = await startTelemetry(config.telemetry, { 'service.instance.id': nodeId, 'hes.roles': [...roles].join(',') });
  const registry = await openRegistry(config);
  const { db, box } = registry;
  const metrics = new HesMetrics();
  metrics.collectProcess();
  const clock = config.ntp.server ? new ClockWatch({ server: config.ntp.server, maxOffsetSeconds: config.ntp.maxOffsetSeconds, pollMs: config.ntp.pollSeconds * 1000 }) : undefined;
  clock?.start();
  const health = new HealthReport({ db, version: VERSION, dataDir: config.dataDir, ...(clock ? { clock } : {}) });
  const serviceLog = new ServiceLog(db, { retentionDays: config.serviceLogRetentionDays });
  serviceLog.start();
  serviceLog.write('info', 'hes', 'configuration', 'started with this configuration (secrets left out)', publicConfig(config));
  serviceLog.write('info', 'registry', 'role', `registry opened (${db.engine === 'pglite' ? `embedded PGlite in ${join(config.dataDir, 'registry')}` : 'PostgreSQL server'})`);
  // Pipeline failures go to the API's log once it exists.
  const log: { error(message: string): void } = { error: (message) => process.stderr.write(`${message}\n`) };
  let data: DataPlane;
  let app: FastifyInstance | undefined;
  let cenc: CencServer | undefined;
  let wmbus: WmbusIntake | undefined;
  let lorawan: LorawanIntake | undefined;
  let unb: UnbStationService | undefined;
  try {
    data = await openDataPlane(config, (message) => {
      log.error(message);
      serviceLog.write('error', 'pipeline', 'consumer', message);
      health.error('pipeline', message);
    }, { db, box }, serviceLog, metrics, { consume: roles.has('pipeline') });
    serviceLog.write('info', 'pipeline', 'role', `${roles.has('pipeline') ? 'pipeline started' : 'bus opened to publish'} (${data.summary})`);
    if (roles.has('api')) app = await buildApp({ db, box, config, clickhouse: data.engine, cenc: () => cenc, wmbus: () => wmbus, lorawan: () => lorawan, unb: () => unb, metrics, serviceLog, health, version: VERSION, notifier: data.notifier }).catch(async (e: unknown) => {
      await data.close();
      throw e;
    });
  } catch (e) {
    clock?.stop();
    await serviceLog.close();
    await db.close();
    await telemetry.shutdown().catch(() => undefined);
    throw e;
  }
  /** The process log: the API's when it runs here, else stderr (warnings and errors). */
  const say = (level: 'info' | 'warn' | 'error', fields: object, message: string) => {
    if (app) app.log[level](fields, message);
    else if (level !== 'info') process.stderr.write(`${level}: ${message} ${JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
  };
  log.error = (message) => say('error', {}, message);
  /** A connector's error: to the process log and the service log. */
  const problem = (role: string, component: string, message: string) => (e?: unknown) => {
    say('error', { err: e }, message);
    const text = e === undefined ? message : `${message}: ${e instanceof Error ? e.message : String(e)}`;
    serviceLog.write('error', role, component, text);
    health.error(role, text);
  };
  const stopped = (role: string, what: string) => serviceLog.write('info', role, 'role', what);
  let demo: Demo | undefined;
  let sink: PipelineSink | undefined;
  let scheduler: Scheduler | undefined;
  let firmware: FirmwareRunner | undefined;
  let agents: AmrAgentServer | undefined;
  let cencPorts: RunningHes['cencPorts'];
  let mqtt: WmbusMqttFeed | undefined;
  let unknownMeters: UnknownMeters | undefined;
  let chirpstack: ChirpstackMqttFeed | undefined;
  let unknownLorawan: UnknownLorawanDevices | undefined;
  let metricsListener: MetricsListener | undefined;
  let probes: MetricsListener | undefined;
  let connections: CencConnections | undefined;
  // In order: no new reads, no new requests, meters let go, then the pipeline drains its batch; the registry closes last.
  const close = async () => {
    if (firmware) {
      await firmware.stop();
      stopped('scheduler', `firmware updates stopped (${firmware.instanceId})`);
    }
    if (scheduler) {
      await scheduler.stop();
      stopped('scheduler', `scheduler stopped (${scheduler.instanceId})`);
    }
    await agents?.stop();
    if (cenc) {
      await cenc.stop();
      await connections?.stop().catch(() => undefined);
      stopped('cenc', 'CENC stopped');
    }
    if (mqtt) {
      await mqtt.close();
      stopped('wmbus', 'wM-Bus MQTT feed stopped');
    }
    if (chirpstack) {
      await chirpstack.close();
      stopped('lorawan', 'ChirpStack MQTT feed stopped');
    }
    await metricsListener?.close();
    await probes?.close();
    if (app) {
      await app.close();
      stopped('api', 'API stopped');
    }
    await unknownMeters?.close();
    await unknownLorawan?.close();
    await unb?.close();
    await sink?.close();
    await data.close();
    stopped('pipeline', 'pipeline stopped');
    await demo?.close();
    clock?.stop();
    await serviceLog.close();
    await db.close();
    await telemetry.shutdown().catch(() => undefined);
  };
  let url: string;
  try {
    if (opts.demo) demo = await startDemo(db, box, opts.demo, join(config.dataDir, 'demo-meters.json'));
    sink = await PipelineSink.create({ db, bus: data.bus, schemas: data.schemas });
    // The wireless M-Bus gateway feed: HTTP always (with the data plane), MQTT when configured.
    const frames = sink;
    const archives = new ReaderRegistryCache(db, Date.now);
    unknownMeters = new UnknownMeters(db, { onError: problem('wmbus', 'unknown-meters', 'wM-Bus: the unknown meters could not be saved') });
    wmbus = new WmbusIntake({
      directory: new WmbusDirectory(db), unknown: unknownMeters, publish: (f) => frames.publish(f), offsetMinutes,
      retentionDays: async () => (await archives.retentionDays()).get('current') ?? 0,
    });
    if (config.wmbus.mqttUrl && roles.has('push')) {
      mqtt = new WmbusMqttFeed({ url: config.wmbus.mqttUrl, prefix: config.wmbus.mqttPrefix, intake: wmbus, onError: (message, e) => problem('wmbus', 'mqtt', message)(e) });
      await mqtt.start();
      serviceLog.write('info', 'wmbus', 'role', `wM-Bus MQTT feed subscribed (${config.wmbus.mqttPrefix}/#)`);
    }
    // ChirpStack v4 applications: the HTTP integration always (with the data plane), the MQTT integration when configured.
    unknownLorawan = new UnknownLorawanDevices(db, { onError: problem('lorawan', 'unknown-devices', 'LoRaWAN: the unknown devices could not be saved') });
    const lorawanEvents = metrics.counter('hes_lorawan_events_total', 'ChirpStack events by outcome (accepted, duplicate, unknownDevice, unknownApplication, ignored, malformed)', ['outcome']);
    lorawan = new LorawanIntake({
      directory: new LorawanDirectory(db), unknown: unknownLorawan, publish: (f) => frames.publish(f), offsetMinutes, count: (outcome) => lorawanEvents.inc({ outcome }),
      claims: new LorawanUplinkClaims(db), commands: new LorawanCommandOutcomes(db),
      retentionDays: async () => (await archives.retentionDays()).get('current') ?? 0,
    });
    if (config.lorawan.mqttUrl && roles.has('lorawan')) {
      chirpstack = new ChirpstackMqttFeed({
        url: config.lorawan.mqttUrl, shareGroup: config.lorawan.mqttShareGroup, topicPrefix: config.lorawan.mqttTopicPrefix, intake: lorawan,
        onError: (message, e) => problem('lorawan', 'mqtt', message)(e),
      });
      await chirpstack.start();
      serviceLog.write('info', 'lorawan', 'role', `ChirpStack MQTT feed subscribed (${chirpstack.topic})`);
    }
    // UNB base stations: the station service (POST /api/UnbBS/v1/messages) is an API route, so it runs where both roles do.
    if (roles.has('unb') && app) {
      const unbPackets = metrics.counter('hes_unb_packets_total', 'Packets UNB base stations relayed, by outcome (accepted, duplicate, unknownDevice, foreign)', ['outcome']);
      unb = new UnbStationService({
        stations: new UnbStations(db), directory: new UnbDirectory(db, box), downlinks: new UnbDownlinks(db, { offerSeconds: config.unb.downlinkOfferSeconds }),
        unknown: new UnknownUnbDevices(db, { onError: problem('unb', 'unknown-devices', 'UNB: the unknown devices could not be saved') }),
        publish: (f) => frames.publish(f), count: (outcome, n) => unbPackets.inc({ outcome }, n), onError: problem('unb', 'counters', 'UNB: counters and receptions could not be saved'),
        retentionDays: async () => (await archives.retentionDays()).get('current') ?? 0,
      });
    }
    // A CENC node reads the meters whose connections it holds, so it runs a scheduler too: without the
    // scheduler role one that only helps launches with those meters (Scheduler reads: 'held').
    const cencHere = roles.has('cenc') && config.cenc.listeners.length > 0;
    if (roles.has('scheduler') || cencHere) {
      const gaps = roles.has('scheduler') && config.gapRoundsPerDay > 0 ? new GapCollector({
        db, engine: data.engine, maxRoundsPerDay: config.gapRoundsPerDay, settleMs: config.gapSettleSeconds * 1000,
        onError: (e, launchId) => problem('scheduler', 'gaps', `gap check of launch ${launchId} failed`)(e),
      }) : undefined;
      const counters = new RegistryInvocationCounterStore(db);
      if (cencHere) {
        const c = config.cenc;
        const onError = (e: unknown, context: string) => problem('cenc', 'connector', `CENC: ${context}`)(e);
        const directory = new RegistryDeviceDirectory(db, { log: (level, message, fields) => say(level, fields, `CENC: ${message}`) });
        // The held connections in the registry, so that launches started anywhere read these meters here.
        const advertise = c.advertiseHost ?? (['0.0.0.0', '::'].includes(c.host) ? hostname() : c.host);
        connections = new CencConnections({ db, directory, nodeId, leaseMs, onError, ...(c.agentPort ? { agentAddress: `${advertise}:${c.agentPort}` } : {}) });
        const held = connections;
        connections.start();
        cenc = new CencServer({
          metrics,
          listeners: c.listeners.map((l) => ({ ...parseCencListener(l), host: c.host })), directory: connections, counters, onError,
          sink: sink.unsolicited(problem('cenc', 'push', 'CENC: a push could not be published')),
          identificationTimeoutMs: c.identificationTimeoutSeconds * 1000, ...(c.maxConnections ? { maxConnections: c.maxConnections } : {}),
        });
        await cenc.start();
        cencPorts = { listeners: cenc.ports() };
        serviceLog.write('info', 'cenc', 'role', `CENC listening on ${c.host} ports ${cencPorts.listeners.join(', ')}`, { listeners: c.listeners });
        if (c.agentPort) {
          agents = new AmrAgentServer({
            cenc, directory, authenticate: (name, password) => authenticateAgent(db, name, password), port: c.agentPort, host: c.host, onError,
            elsewhere: (deviceId) => held.agentAddressOf(deviceId),
            maxFailures: config.loginMaxFailures, lockMs: config.loginLockSeconds * 1000,
          });
          cencPorts.agents = await agents.start();
        }
      }
      const wire = config.kafka.wireFrames !== 'off' ? { wire: sink.wire(config.kafka.wireFrames === 'all', problem('scheduler', 'wire-trace', 'session frames could not be published')) } : {};
      const reader = new ProtocolReaders({
        DLMS: new DlmsDeviceReader({ db, box, counters, ...(cenc ? { cenc } : {}), ...wire }),
        MBUS: new MbusDeviceReader({ db, box, ...wire }),
        SMP_M: new UnbDeviceReader(db),
        LORAWAN: new LorawanDeviceReader({ db, enqueue: chirpstack ? (d) => chirpstack!.enqueue(d) : undefined }),
      });
      const gate = new ChannelScheduler(gateOptions(config));
      metrics.gauge('hes_sessions_running', 'Meter sessions running now (all channels)', [], (g) => g.set(gate.running));
      metrics.gauge('hes_sessions_queued', 'Meter sessions waiting for their channel, segment or the process limit', [], (g) => g.set(gate.queued));
      scheduler = new Scheduler({
        db, reader, sink, gate, gaps, log: serviceLog, metrics, instanceId: nodeId, leaseMs, reads: roles.has('scheduler') ? 'all' : 'held', ...(clock ? { hostClock: clock } : {}),
      });
      if (roles.has('scheduler')) {
        // Firmware transfers share the reader and the gate: channel and segment limits hold for them as for collection.
        firmware = new FirmwareRunner({ db, reader, gate, instanceId: `${nodeId}/firmware`, log: serviceLog });
        metrics.gauge('hes_firmware_transfers_running', 'Firmware transfers running in this process', [], (g) => g.set(firmware!.active));
      }
    }
    addProbes(health, { config, registry, data, scheduler, cenc, cencPorts, mqtt, chirpstack });
    if (app) {
      url = await app.listen({ host: config.httpHost, port: config.httpPort });
      const apiUrl = url;
      health.add('api', async () => ({ state: 'up', version: VERSION, figures: { url: apiUrl } }));
      serviceLog.write('info', 'api', 'role', `API listening on ${url}`);
    } else {
      probes = await listenMetrics(metrics, config.httpPort, config.httpHost, { db });
      url = probes.url;
      serviceLog.write('info', 'hes', 'role', `roles ${[...roles].join(',')}: /health, /ready and /metrics on ${url}`);
    }
    if (config.metrics.port !== undefined) {
      metricsListener = await listenMetrics(metrics, config.metrics.port, config.metrics.host);
      serviceLog.write('info', 'api', 'role', `metrics listener on ${metricsListener.url}/metrics (no credential: a private address only)`);
    }
    if (scheduler) {
      scheduler.start();
      serviceLog.write('info', 'scheduler', 'role', `scheduler started (${scheduler.instanceId}${roles.has('scheduler') ? '' : ', reading the meters this CENC node holds only'})`);
    }
    firmware?.start();
  } catch (e) {
    await close();
    throw e;
  }
  return {
    config, registry, data, roles, nodeId, ...(app ? { api: app } : {}), scheduler, cenc, cencPorts, demo, serviceLog, health, ...(clock ? { clock } : {}), wmbus: { intake: wmbus!, unknown: unknownMeters!, ...(mqtt ? { mqtt } : {}) },
    lorawan: { intake: lorawan!, unknown: unknownLorawan!, ...(chirpstack ? { mqtt: chirpstack } : {}) }, ...(unb ? { unb } : {}), url, metrics,
    ...(metricsListener ? { metricsUrl: metricsListener.url } : {}), close,
  };
}

const help = [
  'usage: hes start [options]',
  ...registryHelp,
  '  --http-port PORT      API port (default 8080)',
  '  --http-host HOST      API address (default 0.0.0.0)',
  '  --demo N              also serve N simulated meters, registered in the "Demo" project with a daily and a',
  '                        15-minute collection task (run once at start)',
  `  --roles LIST          roles of this process, comma-separated (default all; also node.roles, $HES_ROLES):`,
  ...ROLES.map((r) => `                          ${r.padEnd(10)}${ROLE_PARTS[r]}`),
  '  --no-scheduler        all roles but the scheduler',
  '',
  'Data plane: the embedded bus, schema store and ClickHouse (chDB) under the data dir unless configured',
  'otherwise (config file sections "kafka" and "clickhouse", or HES_KAFKA_BROKERS, HES_SCHEMA_REGISTRY_URL,',
  'HES_CLICKHOUSE_URL, HES_CLICKHOUSE_USER, HES_CLICKHOUSE_PASSWORD, HES_CLICKHOUSE_DATABASE; embedded ClickHouse',
  'over HTTP on 127.0.0.1: HES_CLICKHOUSE_HTTP_PORT). See README, configuration.',
  '',
  'CENC (meters with dynamic addresses connecting in), with the cenc role: config section "cenc" or',
  'HES_CENC_LISTENERS=tcp:4059:wrapper,udp:4059:wrapper (off by default), HES_CENC_AGENT_PORT (AMR agents).',
  'Session limits: section "sessions" or HES_SESSION_CHANNEL_LIMIT, HES_SESSION_GLOBAL_LIMIT, HES_SESSION_SEGMENTS.',
  'Metrics without a credential for Prometheus on a private network: HES_METRICS_PORT, HES_METRICS_HOST (default 127.0.0.1).',
  'Traces over OTLP/HTTP (off by default): section "telemetry" or HES_OTEL_ENABLED=true, HES_OTEL_ENDPOINT (default',
  'OTEL_EXPORTER_OTLP_ENDPOINT), HES_OTEL_SERVICE_NAME, HES_OTEL_SAMPLE_RATIO (docs/telemetry.md).',
  '',
].join('\n');

/** The HES version (package.json), shown in the OpenAPI document and the health detail. */
const VERSION = '0.1.0';

/** The probes of the roles this process runs, for the health detail (the registry's is the report's own). */
function addProbes(health: HealthReport, p: Pick<RunningHes, 'config' | 'registry' | 'data' | 'scheduler' | 'cenc' | 'cencPorts'> & { mqtt: WmbusMqttFeed | undefined; chirpstack: ChirpstackMqttFeed | undefined }): void {
  const { config, data } = p;
  const m = data.pipeline?.metrics;
  const total = async (c: { get(): Promise<{ values: { value: number }[] }> }) => (await c.get()).values.reduce((a, v) => a + v.value, 0);
  health.add('bus', async () => {
    const lag = await m?.measureLag?.();
    return {
      state: 'up',
      figures: { kind: config.kafka.brokers.length ? 'kafka' : 'embedded', topic: Topics.rawFrames, lagMessages: lag ?? null },
      ...(lag === undefined ? { note: 'the pipeline is not consuming yet' } : {}),
    };
  });
  health.add('clickhouse', async () => {
    const [row] = await data.engine.query<{ v: string }>('SELECT version() AS v');
    return { state: 'up', version: row?.v ?? '', figures: { kind: config.clickhouse.url ? 'server' : 'embedded', httpInterface: data.clickhouseHttp ?? null } };
  });
  health.add('pipeline', async () => {
    if (!data.pool || !m) return { state: 'off', note: 'not in this process (roles)' };
    const load = data.pool.load;
    return {
      state: 'up',
      figures: {
        decoderThreads: data.pool.threads, queuedBatches: load.queued, decodedBatches: load.completed, utilization: load.utilization,
        framesIn: await total(m.framesIn), readingsOut: await total(m.readingsOut), deadLetters: await total(m.decodeErrors),
      },
    };
  });
  const { scheduler, cenc, mqtt } = p;
  health.add('scheduler', async () => scheduler
    ? {
      state: 'up',
      figures: {
        instanceId: scheduler.instanceId, runningLaunches: scheduler.runningLaunches,
        pendingLaunches: (await p.registry.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM task_launches WHERE state = 'pending'`)).rows[0]!.n,
      },
    }
    : { state: 'off', note: 'not in this process (roles)' });
  health.add('cenc', async () => cenc
    ? { state: 'up', figures: { ports: p.cencPorts!.listeners.join(','), agentPort: p.cencPorts!.agents ?? null, connections: cenc.connectionCount } }
    : { state: 'off', note: config.cenc.listeners.length ? 'not in this process (roles)' : 'no cenc.listeners configured' });
  health.add('wmbus', async () => ({ state: 'up', figures: { http: true, mqtt: mqtt ? config.wmbus.mqttPrefix : null } }));
  health.add('lorawan', async () => ({ state: 'up', figures: { http: true, mqtt: p.chirpstack ? p.chirpstack.topic : null } }));
}

/** The session limits of the configuration (`sessions`) as the channel scheduler takes them. */
export function gateOptions(config: HesConfig): GateOptions {
  const s = config.sessions;
  const segments: NonNullable<GateOptions['segments']> = {};
  for (const text of s.segments) {
    const { segment, ...limits } = parseSegmentLimit(text);
    segments[segment] = limits;
  }
  return { channelLimit: s.channelLimit, ...(s.globalLimit ? { globalLimit: s.globalLimit } : {}), segments };
}

function describeCenc(hes: RunningHes): string {
  if (!hes.cencPorts) return hes.scheduler ? 'off (no cenc.listeners configured)' : 'not in this process';
  const listeners = hes.config.cenc.listeners.map((l, i) => {
    const { protocol, framing } = parseCencListener(l);
    return `${protocol}:${hes.cencPorts!.listeners[i]}:${framing}`;
  });
  return `listening on ${hes.config.cenc.host} ${listeners.join(', ')}; AMR agents: ${hes.cencPorts.agents ? `port ${hes.cencPorts.agents}` : 'off'}`;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    'http-port': { type: 'string' }, 'http-host': { type: 'string' }, demo: { type: 'string' }, 'no-scheduler': { type: 'boolean' }, roles: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const demo = values.demo === undefined ? undefined : Number(values.demo);
  if (demo !== undefined && (!Number.isInteger(demo) || demo < 1 || demo > 100_000)) {
    process.stderr.write(`hes start: --demo must be a number of meters in 1..100000, got "${values.demo}"\n`);
    return 2;
  }
  const config = configFrom(values, {
    httpPort: values['http-port'] === undefined ? undefined : Number(values['http-port']),
    httpHost: values['http-host'] as string | undefined,
  });
  const roles = values.roles === undefined ? undefined : [values.roles as string];
  if (roles) {
    try {
      parseRoles(roles, '--roles');
    } catch (e) {
      process.stderr.write(`hes start: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const hes = await startHes(config, { demo, scheduler: values['no-scheduler'] !== true, ...(roles ? { roles } : {}) });
  const storage = config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}/registry`;
  const local = hes.url.replace('://0.0.0.0', '://127.0.0.1');
  const lines = [
    hes.api ? `HES API listening on ${hes.url} (registry: ${storage}); OpenAPI at ${local}/docs` : `HES node serving /health, /ready and /metrics on ${hes.url} (registry: ${storage})`,
    `roles: ${[...hes.roles].join(',')} (node ${hes.nodeId})${hes.roles.has('unb') && !hes.api ? '; unb: the station service needs the api role, not started' : ''}`,
    `scheduler: ${hes.scheduler ? `running (${hes.scheduler.instanceId})` : 'not in this process'}`,
    `data: ${hes.data.summary}`,
    `cenc: ${describeCenc(hes)}`,
    `metrics: ${hes.metricsUrl ? `${hes.metricsUrl}/metrics (no credential)` : `${local}/metrics with a bearer token (Read.HesConfig); metrics.port opens a listener without one`}`,
  ];
  if (hes.demo) {
    const d = hes.demo;
    lines.push(
      `demo: ${d.deviceIds.length} simulated CE308 meters on 127.0.0.1:${d.meters.port} (wrapper, HLS-GMAC), project "${DEMO_PROJECT}" ${d.projectId}`,
      `  sign in: POST ${local}/api/v1/auth/login {"username":"admin","password":"hesadmin"} (first sign-in: change it at POST /api/v1/auth/password)`,
      `  launches: GET ${local}/api/v1/projects/${d.projectId}/tasks/${d.taskIds[1]}/launches`,
      `  readings: GET ${local}/api/v1/projects/${d.projectId}/devices/${d.deviceIds[0]}/measurements?archive=profile-15`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await hes.close();
  return 0;
}
