/**
 * HES configuration: defaults, then a JSON file, then environment variables, then explicit overrides
 * (command-line options). One object is handed to every part that starts (API, scheduler, data plane).
 * Two sections choose the data plane's services: `kafka` (brokers; none = the embedded bus under
 * `<dataDir>/bus`) and `clickhouse` (a server URL; none = embedded chDB under `<dataDir>/clickhouse`);
 * `cenc` opens the ports meters connect in to; `sessions` limits meter sessions per process, channel and network segment.
 */
import { chmodSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export interface HesConfig {
  /** Everything the embedded mode persists lives under this folder. */
  dataDir: string;
  httpHost: string;
  httpPort: number;
  /** PostgreSQL URL; absent → embedded PGlite in `<dataDir>/registry`. */
  databaseUrl?: string;
  /** 32-byte key (hex or base64) encrypting meter keys and passwords at rest. */
  masterKey?: string;
  /** Access token lifetime, seconds. */
  accessTokenTtl: number;
  /** Refresh token (session) lifetime, seconds. */
  refreshTokenTtl: number;
  /** Failed logins per user+IP before further attempts are refused for `loginLockSeconds`. */
  loginMaxFailures: number;
  loginLockSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Decoder pool threads; 0 = one per CPU. */
  decoderThreads: number;
  /**
   * How long the pipeline keeps a device's registry context (profile, keys) for frames that need one (pushes,
   * journals); edits of keys and profiles apply after it. Fleets that push every 15 minutes want more than that.
   */
  deviceContextTtlSeconds: number;
  /** Gap re-collection (scheduler/gaps.ts): re-collection launches per task and day; 0 = off. */
  gapRoundsPerDay: number;
  /** Seconds after a launch finished before its gaps are looked for (the pipeline stores asynchronously). */
  gapSettleSeconds: number;
  /** Service log entries (registry/service-log.ts) older than this many days are pruned; 0 = kept for ever. */
  serviceLogRetentionDays: number;
  kafka: {
    /** host:port of the brokers; empty = the embedded bus. */
    brokers: string[];
    /** Confluent Schema Registry; absent = schema ids kept in the HES registry with Kafka (every process agrees), in `<dataDir>/schemas.json` with the embedded bus. */
    schemaRegistryUrl?: string;
    /** Partitions of the raw-frame topic when the HES creates it. */
    partitions: number;
    /** Also publish every decoded reading to `hes.readings` (Avro) for MDM and data engineers. */
    publishReadings: boolean;
    /** Also publish every stored event to `hes.cim.events` as the CIM EventMessage `created EndDeviceEvents` (JSON). */
    publishCimEvents: boolean;
    /** The wire trace of meter sessions to `hes.frames.wire`: off, the frames received, or all (sent too). */
    wireFrames: 'off' | 'received' | 'all';
    /** A pipeline consumer not heard of for this long leaves the group: its partitions move to the others. */
    sessionTimeoutSeconds: number;
  };
  clickhouse: {
    /** HTTP URL of a ClickHouse server; absent = embedded chDB. */
    url?: string;
    user?: string;
    password?: string;
    database?: string;
    /** Embedded chDB only: serve its ClickHouse HTTP interface at this port (absent = not served). */
    httpPort?: number;
    /** Address of that interface: 127.0.0.1, or a private network's address (never a public one). */
    httpHost: string;
    /** The user of that interface (absent = `default`), asked with httpPassword. */
    httpUser?: string;
    /** Its password; absent = no credential asked, allowed on a loopback address only. */
    httpPassword?: string;
    /** Seconds between checks of the registry for changed devices to copy into devices_dim (absent = 60, 0 = never). */
    devicesRefreshSeconds?: number;
    /** Validate every batch the pipeline stores against its projects' VEE rules (docs/vee.md); default true. */
    validateOnStore: boolean;
  };
  /** The HES clock against NTP (ingest/ntp/clock.ts): above the threshold, an alarm and no meter clock writes. */
  ntp: {
    /** host or host:port; absent = not watched. */
    server?: string;
    maxOffsetSeconds: number;
    pollSeconds: number;
  };
  /** The metrics listener: /metrics without a credential, for Prometheus on a private network (on the API it needs one). */
  metrics: {
    /** Port; absent = no listener. */
    port?: number;
    host: string;
  };
  /** CENC, the server meters with dynamic addresses connect in to (run with the scheduler role). */
  cenc: {
    /** "tcp:4059:wrapper", "udp:4059:wrapper", "tcp:4060:hdlc"; empty = CENC off. */
    listeners: string[];
    /** Address the listeners and the AMR agent port bind to. */
    host: string;
    /** TCP port of the AMR agents' transparent sessions; 0 = off. */
    agentPort: number;
    /** Held connections at most; 0 = no limit. */
    maxConnections: number;
    /** A connection that has not identified itself in this time is closed. */
    identificationTimeoutSeconds: number;
    /**
     * The address other CENC nodes reach this node's agent port at (its pod or host address); absent = `host`,
     * or the host name when `host` is a wildcard address.
     */
    advertiseHost?: string;
  };
  /** The wireless M-Bus gateway feed (ingest/wmbus); the HTTP endpoint runs whenever the data plane does. */
  wmbus: {
    /** MQTT broker gateways publish to, e.g. mqtt://127.0.0.1:1883; absent = no MQTT feed. */
    mqttUrl?: string;
    /** Topic prefix: gateways publish to `<prefix>/<projectId>/<gatewayId>`. */
    mqttPrefix: string;
  };
  /** ChirpStack v4 applications (ingest/chirpstack); the HTTP integration's endpoint runs whenever the data plane does. */
  lorawan: {
    /** The broker ChirpStack's MQTT integration publishes to, e.g. mqtt://127.0.0.1:1883; absent = no MQTT integration. */
    mqttUrl?: string;
    /** Shared-subscription group the HES processes split the uplinks in; '' = every process takes every uplink. */
    mqttShareGroup: string;
    /** What ChirpStack's `event_topic` puts before `application/...`; default none. */
    mqttTopicPrefix: string;
  };
  /** UNB base stations (ingest/unb, docs/unb.md); the station service runs in processes with the `unb` and `api` roles. */
  unb: {
    /** A downlink task no station fetched within this many seconds is offered to the next best station. */
    downlinkOfferSeconds: number;
  };
  /**
   * Traces over OTLP/HTTP (docs/telemetry.md): off by default, and then nothing of OpenTelemetry's SDK is
   * loaded. The endpoint is the collector's base URL (…:4318; `/v1/traces` is added) or, when it ends in
   * `/v1/traces`, the traces URL itself.
   */
  telemetry: {
    enabled: boolean;
    /** Default OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4318. */
    endpoint?: string;
    /** `service.name` of this process's spans. */
    serviceName: string;
    /** Share of launches, API requests and unsolicited frames traced, 0..1 (a launch is traced whole or not at all, in every process). */
    sampleRatio: number;
  };
  /** This process among several (docs/deployment.md). */
  node: {
    /** The roles this process runs (cli/roles.ts): api, scheduler, pipeline, cenc, push, lorawan, unb; default all. */
    roles: string[];
    /**
     * Seconds a launch's owner, a device claim and a held CENC connection count without renewal: a dead
     * scheduler's launches and devices, and a dead CENC node's meters, are taken over within this time.
     */
    leaseSeconds: number;
  };
  /** Limits on meter sessions in this process (ingest/channels). */
  sessions: {
    /** Sessions at once in the process; 0 = no limit beyond the scheduler's own. */
    globalLimit: number;
    /** Sessions at once on one non-exclusive channel (an exclusive channel runs one). */
    channelLimit: number;
    /** Per network segment (channel settings `segment`): "<segment>:<max at once>:<starts per second>", 0 = no limit. */
    segments: string[];
  };
  /** Delivery of notifications (notify/notifier.ts, docs/notifications.md). */
  notifications: {
    /** Attempts before a notification is failed (a dead letter); at least 1. */
    maxAttempts: number;
    /** Delay before the first retry, seconds; each next one doubles it. */
    retryBaseSeconds: number;
  };
}

export interface SegmentLimitConfig {
  segment: string;
  maxConcurrent?: number;
  perSecond?: number;
}

/** A segment's limits as configuration text names them: `<segment>:<max at once>:<starts per second>` (0: no limit). */
export function parseSegmentLimit(text: string, origin = 'sessions.segments'): SegmentLimitConfig {
  const m = /^(.{1,100}):(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) throw new ConfigError(`${origin}: a segment limit is "<segment>:<max at once>:<starts per second>" (0 = no limit), got ${JSON.stringify(text)}`);
  const max = Number(m[2]);
  const perSecond = Number(m[3]);
  return { segment: m[1]!, ...(max ? { maxConcurrent: max } : {}), ...(perSecond ? { perSecond } : {}) };
}

/** One CENC listener as its configuration text names it: `<tcp|udp>:<port>:<wrapper|hdlc>`. */
export interface CencListenerConfig {
  protocol: 'tcp' | 'udp';
  port: number;
  framing: 'wrapper' | 'hdlc';
}

export function parseCencListener(text: string, origin = 'cenc.listeners'): CencListenerConfig {
  const m = /^(tcp|udp):(\d{1,5}):(wrapper|hdlc)$/i.exec(text.trim());
  const port = m ? Number(m[2]) : 0;
  if (!m || port > 65535) throw new ConfigError(`${origin}: a listener is "<tcp|udp>:<port>:<wrapper|hdlc>" (port 0..65535, 0 = any free port), got ${JSON.stringify(text)}`);
  return { protocol: m[1]!.toLowerCase() as 'tcp' | 'udp', port, framing: m[3]!.toLowerCase() as 'wrapper' | 'hdlc' };
}

export const defaults: HesConfig = {
  dataDir: './hes-data',
  httpHost: '0.0.0.0',
  httpPort: 8080,
  accessTokenTtl: 900,
  refreshTokenTtl: 7 * 24 * 3600,
  loginMaxFailures: 5,
  loginLockSeconds: 300,
  logLevel: 'info',
  decoderThreads: 0,
  gapRoundsPerDay: 3,
  gapSettleSeconds: 30,
  deviceContextTtlSeconds: 60,
  serviceLogRetentionDays: 30,
  kafka: { brokers: [], partitions: 12, publishReadings: false, publishCimEvents: false, wireFrames: 'received', sessionTimeoutSeconds: 30 },
  clickhouse: { httpHost: '127.0.0.1', validateOnStore: true },
  metrics: { host: '127.0.0.1' },
  ntp: { maxOffsetSeconds: 1, pollSeconds: 300 },
  cenc: { listeners: [], host: '0.0.0.0', agentPort: 0, maxConnections: 0, identificationTimeoutSeconds: 30 },
  sessions: { globalLimit: 0, channelLimit: 16, segments: [] },
  node: { roles: [], leaseSeconds: 30 },
  wmbus: { mqttPrefix: 'hes/wmbus' },
  notifications: { maxAttempts: 6, retryBaseSeconds: 30 },
  lorawan: { mqttShareGroup: 'hes', mqttTopicPrefix: '' },
  unb: { downlinkOfferSeconds: 300 },
  telemetry: { enabled: false, serviceName: 'hes', sampleRatio: 1 },
};

const envNames: Record<string, keyof HesConfig> = {
  HES_DATA_DIR: 'dataDir',
  HES_HTTP_HOST: 'httpHost',
  HES_HTTP_PORT: 'httpPort',
  HES_DATABASE_URL: 'databaseUrl',
  HES_MASTER_KEY: 'masterKey',
  HES_ACCESS_TOKEN_TTL: 'accessTokenTtl',
  HES_REFRESH_TOKEN_TTL: 'refreshTokenTtl',
  HES_LOGIN_MAX_FAILURES: 'loginMaxFailures',
  HES_LOGIN_LOCK_SECONDS: 'loginLockSeconds',
  HES_LOG_LEVEL: 'logLevel',
  HES_DECODER_THREADS: 'decoderThreads',
  HES_GAP_ROUNDS_PER_DAY: 'gapRoundsPerDay',
  HES_GAP_SETTLE_SECONDS: 'gapSettleSeconds',
  HES_DEVICE_CONTEXT_TTL_SECONDS: 'deviceContextTtlSeconds',
  HES_SERVICE_LOG_RETENTION_DAYS: 'serviceLogRetentionDays',
};
const numeric = new Set<keyof HesConfig>(['httpPort', 'accessTokenTtl', 'refreshTokenTtl', 'loginMaxFailures', 'loginLockSeconds', 'decoderThreads', 'gapRoundsPerDay', 'gapSettleSeconds', 'deviceContextTtlSeconds', 'serviceLogRetentionDays']);

/** Settings of the sections by kind: text, non-negative integer, true/false, or a list (JSON array or comma-separated text). */
type Section = 'kafka' | 'clickhouse' | 'cenc' | 'sessions' | 'node' | 'wmbus' | 'lorawan' | 'unb' | 'metrics' | 'ntp' | 'notifications' | 'telemetry';
const sections: Record<Section, Record<string, 'string' | 'int' | 'bool' | 'list' | 'ratio'>> = {
  kafka: { brokers: 'list', schemaRegistryUrl: 'string', partitions: 'int', publishReadings: 'bool', publishCimEvents: 'bool', wireFrames: 'string', sessionTimeoutSeconds: 'int' },
  clickhouse: {
    url: 'string', user: 'string', password: 'string', database: 'string', httpPort: 'int', httpHost: 'string', httpUser: 'string', httpPassword: 'string',
    devicesRefreshSeconds: 'int', validateOnStore: 'bool',
  },
  metrics: { port: 'int', host: 'string' },
  ntp: { server: 'string', maxOffsetSeconds: 'int', pollSeconds: 'int' },
  cenc: { listeners: 'list', host: 'string', agentPort: 'int', maxConnections: 'int', identificationTimeoutSeconds: 'int', advertiseHost: 'string' },
  sessions: { globalLimit: 'int', channelLimit: 'int', segments: 'list' },
  node: { roles: 'list', leaseSeconds: 'int' },
  wmbus: { mqttUrl: 'string', mqttPrefix: 'string' },
  notifications: { maxAttempts: 'int', retryBaseSeconds: 'int' },
  lorawan: { mqttUrl: 'string', mqttShareGroup: 'string', mqttTopicPrefix: 'string' },
  unb: { downlinkOfferSeconds: 'int' },
  telemetry: { enabled: 'bool', endpoint: 'string', serviceName: 'string', sampleRatio: 'ratio' },
};
const isSection = (k: string): k is Section => k in sections;
const sectionEnv: Record<string, [Section, string]> = {
  HES_KAFKA_BROKERS: ['kafka', 'brokers'],
  HES_SCHEMA_REGISTRY_URL: ['kafka', 'schemaRegistryUrl'],
  HES_KAFKA_PARTITIONS: ['kafka', 'partitions'],
  HES_PUBLISH_READINGS: ['kafka', 'publishReadings'],
  HES_PUBLISH_CIM_EVENTS: ['kafka', 'publishCimEvents'],
  HES_WIRE_FRAMES: ['kafka', 'wireFrames'],
  HES_KAFKA_SESSION_TIMEOUT_SECONDS: ['kafka', 'sessionTimeoutSeconds'],
  HES_CLICKHOUSE_URL: ['clickhouse', 'url'],
  HES_CLICKHOUSE_USER: ['clickhouse', 'user'],
  HES_CLICKHOUSE_PASSWORD: ['clickhouse', 'password'],
  HES_CLICKHOUSE_DATABASE: ['clickhouse', 'database'],
  HES_CLICKHOUSE_HTTP_PORT: ['clickhouse', 'httpPort'],
  HES_CLICKHOUSE_HTTP_HOST: ['clickhouse', 'httpHost'],
  HES_CLICKHOUSE_HTTP_USER: ['clickhouse', 'httpUser'],
  HES_CLICKHOUSE_HTTP_PASSWORD: ['clickhouse', 'httpPassword'],
  HES_CLICKHOUSE_DEVICES_REFRESH_SECONDS: ['clickhouse', 'devicesRefreshSeconds'],
  HES_VALIDATE_ON_STORE: ['clickhouse', 'validateOnStore'],
  HES_METRICS_PORT: ['metrics', 'port'],
  HES_METRICS_HOST: ['metrics', 'host'],
  HES_NTP_SERVER: ['ntp', 'server'],
  HES_NTP_MAX_OFFSET_SECONDS: ['ntp', 'maxOffsetSeconds'],
  HES_NTP_POLL_SECONDS: ['ntp', 'pollSeconds'],
  HES_CENC_LISTENERS: ['cenc', 'listeners'],
  HES_CENC_HOST: ['cenc', 'host'],
  HES_CENC_AGENT_PORT: ['cenc', 'agentPort'],
  HES_CENC_MAX_CONNECTIONS: ['cenc', 'maxConnections'],
  HES_CENC_IDENTIFICATION_TIMEOUT_SECONDS: ['cenc', 'identificationTimeoutSeconds'],
  HES_CENC_ADVERTISE_HOST: ['cenc', 'advertiseHost'],
  HES_SESSION_GLOBAL_LIMIT: ['sessions', 'globalLimit'],
  HES_ROLES: ['node', 'roles'],
  HES_LEASE_SECONDS: ['node', 'leaseSeconds'],
  HES_SESSION_CHANNEL_LIMIT: ['sessions', 'channelLimit'],
  HES_SESSION_SEGMENTS: ['sessions', 'segments'],
  HES_WMBUS_MQTT_URL: ['wmbus', 'mqttUrl'],
  HES_WMBUS_MQTT_PREFIX: ['wmbus', 'mqttPrefix'],
  HES_NOTIFICATION_MAX_ATTEMPTS: ['notifications', 'maxAttempts'],
  HES_NOTIFICATION_RETRY_BASE_SECONDS: ['notifications', 'retryBaseSeconds'],
  HES_LORAWAN_MQTT_URL: ['lorawan', 'mqttUrl'],
  HES_LORAWAN_MQTT_SHARE_GROUP: ['lorawan', 'mqttShareGroup'],
  HES_LORAWAN_MQTT_TOPIC_PREFIX: ['lorawan', 'mqttTopicPrefix'],
  HES_UNB_DOWNLINK_OFFER_SECONDS: ['unb', 'downlinkOfferSeconds'],
  HES_OTEL_ENABLED: ['telemetry', 'enabled'],
  HES_OTEL_ENDPOINT: ['telemetry', 'endpoint'],
  HES_OTEL_SERVICE_NAME: ['telemetry', 'serviceName'],
  HES_OTEL_SAMPLE_RATIO: ['telemetry', 'sampleRatio'],
};

function sectionValue(section: Section, key: string, value: unknown, origin: string): unknown {
  const kind = sections[section][key];
  if (!kind) throw new ConfigError(`${origin}: unknown setting "${section}.${key}"`);
  if (kind === 'int') return integer(`${section}.${key}`, value, origin);
  if (kind === 'string') return String(value);
  if (kind === 'bool') return boolean(`${section}.${key}`, value, origin);
  if (kind === 'ratio') {
    const n = Number(value);
    if (value === '' || !(n >= 0 && n <= 1)) throw new ConfigError(`${origin}: ${section}.${key} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
    return n;
  }
  const list = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return list.map((x) => x.trim()).filter(Boolean);
}

function setSection(out: Record<string, unknown>, section: Section, values: Record<string, unknown>, origin: string): void {
  const s = { ...(out[section] as Record<string, unknown>) };
  for (const [k, v] of Object.entries(values)) if (v !== undefined) s[k] = sectionValue(section, k, v, origin);
  out[section] = s;
}

export class ConfigError extends Error {}

const isLoopback = (host: string): boolean => /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';

function integer(name: string, value: unknown, origin: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${origin}: ${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

function boolean(name: string, value: unknown, origin: string): boolean {
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  throw new ConfigError(`${origin}: ${name} must be true or false, got ${JSON.stringify(value)}`);
}

function coerce(key: keyof HesConfig, value: unknown, origin: string): unknown {
  return numeric.has(key) ? integer(key, value, origin) : String(value);
}

export interface LoadOptions {
  /** JSON file; default `$HES_CONFIG` when set. A missing explicit file is an error. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Omit<Partial<HesConfig>, Section> & { kafka?: Partial<HesConfig['kafka']>; clickhouse?: Partial<HesConfig['clickhouse']>; cenc?: Partial<HesConfig['cenc']>; sessions?: Partial<HesConfig['sessions']>; wmbus?: Partial<HesConfig['wmbus']>; lorawan?: Partial<HesConfig['lorawan']>; unb?: Partial<HesConfig['unb']>; metrics?: Partial<HesConfig['metrics']>; ntp?: Partial<HesConfig['ntp']> };
}

export function loadConfig(opts: LoadOptions = {}): HesConfig {
  const env = opts.env ?? process.env;
  const out: Record<string, unknown> = { ...defaults };
  const file = opts.file ?? env.HES_CONFIG;
  if (file) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed)) {
      if (!(k in defaults) && k !== 'databaseUrl' && k !== 'masterKey') throw new ConfigError(`${file}: unknown setting "${k}"`);
      if (isSection(k)) {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${file}: ${k} must be an object`);
        setSection(out, k, v as Record<string, unknown>, file);
      } else out[k] = coerce(k as keyof HesConfig, v, file);
    }
  }
  for (const [name, key] of Object.entries(envNames)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = coerce(key, v, name);
  }
  for (const [name, [section, key]] of Object.entries(sectionEnv)) {
    const v = env[name];
    if (v !== undefined && v !== '') setSection(out, section, { [key]: v }, name);
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) {
    if (v === undefined) continue;
    if (isSection(k)) setSection(out, k, v as Record<string, unknown>, 'option');
    else out[k] = coerce(k as keyof HesConfig, v, 'option');
  }
  const cfg = out as unknown as HesConfig;
  cfg.dataDir = resolve(cfg.dataDir);
  if (cfg.httpPort > 65535) throw new ConfigError(`httpPort must be at most 65535, got ${cfg.httpPort}`);
  if ((cfg.clickhouse.httpPort ?? 0) > 65535) throw new ConfigError(`clickhouse.httpPort must be at most 65535, got ${cfg.clickhouse.httpPort}`);
  if (cfg.clickhouse.httpPort !== undefined && !cfg.clickhouse.httpPassword && !isLoopback(cfg.clickhouse.httpHost)) {
    throw new ConfigError(`clickhouse.httpHost ${cfg.clickhouse.httpHost} is not a loopback address: set clickhouse.httpPassword (the ClickHouse HTTP interface gives all the data)`);
  }
  if (cfg.ntp.pollSeconds < 10) throw new ConfigError('ntp.pollSeconds must be at least 10');
  if ((cfg.metrics.port ?? 0) > 65535) throw new ConfigError(`metrics.port must be at most 65535, got ${cfg.metrics.port}`);
  if (cfg.kafka.partitions < 1) throw new ConfigError('kafka.partitions must be at least 1');
  if (cfg.deviceContextTtlSeconds < 1) throw new ConfigError('deviceContextTtlSeconds must be at least 1');
  if (!['off', 'received', 'all'].includes(cfg.kafka.wireFrames)) throw new ConfigError(`kafka.wireFrames must be off, received or all, got ${JSON.stringify(cfg.kafka.wireFrames)}`);
  for (const l of cfg.cenc.listeners) parseCencListener(l);
  if (cfg.cenc.agentPort > 65535) throw new ConfigError(`cenc.agentPort must be at most 65535, got ${cfg.cenc.agentPort}`);
  if (cfg.cenc.identificationTimeoutSeconds < 1) throw new ConfigError('cenc.identificationTimeoutSeconds must be at least 1');
  if (cfg.sessions.channelLimit < 1) throw new ConfigError('sessions.channelLimit must be at least 1');
  if (cfg.notifications.maxAttempts < 1) throw new ConfigError('notifications.maxAttempts must be at least 1');
  for (const l of cfg.sessions.segments) parseSegmentLimit(l);
  return cfg;
}

/**
 * The configuration without its secrets, for the service log: the master key and passwords left out, URLs
 * reduced to where they point (a URL may carry credentials).
 */
export function publicConfig(cfg: HesConfig): Record<string, unknown> {
  const origin = (url: string | undefined) => {
    if (url === undefined) return undefined;
    try {
      const u = new URL(url);
      return `${u.protocol}//${u.host}`;
    } catch {
      return '(not a URL)';
    }
  };
  const { masterKey, databaseUrl, clickhouse, wmbus, lorawan, telemetry, ...rest } = cfg;
  const { password: _password, httpPassword: _httpPassword, url, ...ch } = clickhouse;
  return {
    ...rest, masterKey: masterKey ? 'configured' : 'generated', databaseUrl: origin(databaseUrl) ?? 'embedded',
    clickhouse: { ...ch, url: origin(url) ?? 'embedded' }, wmbus: { ...wmbus, mqttUrl: origin(wmbus.mqttUrl) ?? null },
    lorawan: { ...lorawan, mqttUrl: origin(lorawan.mqttUrl) ?? null }, telemetry: { ...telemetry, endpoint: origin(telemetry.endpoint) ?? null },
  };
}

/**
 * Data readable by the HES's own user only: the data folder 0700, and every file and folder this process
 * creates from now on 0600/0700 (umask 077) — the registry (PGlite), chDB, the durable log and the wire
 * trace in it, schema ids, demo meters — whichever library creates them.
 */
export function keepDataPrivate(cfg: HesConfig): void {
  process.umask(0o077);
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(cfg.dataDir, 0o700);
}

/**
 * The master key as 32 bytes. Without one configured, embedded mode keeps a generated key in
 * `<dataDir>/master.key` (mode 0600) so that a single-node install needs no setup.
 */
export function masterKeyBytes(cfg: HesConfig): Buffer {
  if (cfg.masterKey) return parseKey(cfg.masterKey);
  const path = join(cfg.dataDir, 'master.key');
  if (existsSync(path)) return parseKey(readFileSync(path, 'utf8').trim());
  mkdirSync(cfg.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

function parseKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError('master key must be 32 bytes (64 hex digits or base64)');
  return key;
}
