/**
 * Host and service health (seed 003 §2.2.17): GET /health/detail lists each role and service this process
 * runs — registry, bus, ClickHouse, decoder pool, scheduler, CENC, connectors, API — with its state, version,
 * uptime, last error and queue/lag figures, the host (time, CPU, memory), the data folder's disk, and the HES
 * clock's offset from NTP when a server is configured. Alarms: the clock off by more than the threshold, a
 * service down, the data folder's disk nearly full. Each role registers a probe (cli/start.ts); the registry's
 * is built in, so an API process without the other roles still reports what it has.
 */
import { statfs } from 'node:fs/promises';
import { cpus, freemem, hostname, loadavg, totalmem } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../registry/db.js';
import type { ClockState } from '../ingest/ntp/clock.js';

export type ServiceState = 'up' | 'down' | 'off';

/** What a probe tells of its service; the report adds the name, uptime and last error. */
export interface ServiceProbeResult {
  state: ServiceState;
  version?: string;
  /** Queue and lag figures, where it runs (no secrets). */
  figures?: Record<string, string | number | boolean | null>;
  note?: string;
}

export interface ServiceHealth extends ServiceProbeResult {
  name: string;
  uptimeSeconds?: number;
  lastError?: { at: string; message: string };
  figures: Record<string, string | number | boolean | null>;
}

export interface HealthAlarm {
  code: 'CLOCK_OFFSET' | 'SERVICE_DOWN' | 'DISK_LOW';
  message: string;
}

/** The HES clock as the report shows it (ingest/ntp/clock.ts ClockWatch). */
export interface ClockSource {
  readonly state: ClockState;
  problem(): string | undefined;
}

/** A probe that has not answered in this time reports its service down. */
const PROBE_TIMEOUT_MS = 5000;
/** Below this share of free space the data folder's disk is an alarm. */
const DISK_LOW_RATIO = 0.1;

export class HealthReport {
  readonly #probes = new Map<string, { probe: () => Promise<ServiceProbeResult>; since: number }>();
  readonly #errors = new Map<string, { at: string; message: string }>();
  readonly #now: () => number;
  readonly #startedAt: number;

  constructor(private readonly o: { db: Db; version: string; dataDir?: string; clock?: ClockSource; now?: () => number }) {
    this.#now = o.now ?? Date.now;
    this.#startedAt = this.#now();
    this.add('registry', async () => {
      const r = await o.db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
      return { state: 'up', version: r.rows[0]?.v ?? '', figures: { engine: o.db.engine } };
    });
  }

  /** A service of this process, up from now on (a name added again replaces the probe and keeps its uptime). */
  add(name: string, probe: () => Promise<ServiceProbeResult>): void {
    this.#probes.set(name, { probe, since: this.#probes.get(name)?.since ?? this.#now() });
  }

  /** The last error of a service (shown until a later one replaces it). */
  error(name: string, e: unknown): void {
    this.#errors.set(name, { at: new Date(this.#now()).toISOString(), message: e instanceof Error ? e.message : String(e) });
  }

  async detail() {
    const now = this.#now();
    const services = await Promise.all([...this.#probes].map(([name, p]) => this.#probe(name, p.probe, p.since, now)));
    const alarms: HealthAlarm[] = [];
    for (const s of services) if (s.state === 'down') alarms.push({ code: 'SERVICE_DOWN', message: `${s.name} is down${s.note ? `: ${s.note}` : ''}` });
    const disk = await this.#disk();
    if (disk && disk.freeBytes < disk.totalBytes * DISK_LOW_RATIO) {
      alarms.push({ code: 'DISK_LOW', message: `the data folder's disk has ${(disk.freeBytes / 2 ** 30).toFixed(1)} GiB free of ${(disk.totalBytes / 2 ** 30).toFixed(1)} GiB` });
    }
    const clock = this.o.clock;
    const problem = clock?.problem();
    if (problem) alarms.push({ code: 'CLOCK_OFFSET', message: `${problem}; meters' clocks are not synchronised from it` });
    return {
      status: alarms.length ? 'alarm' as const : 'ok' as const,
      checkedAt: new Date(now).toISOString(),
      version: this.o.version,
      startedAt: new Date(this.#startedAt).toISOString(),
      uptimeSeconds: Math.round((now - this.#startedAt) / 1000),
      host: {
        hostname: hostname(), cpus: cpus().length, loadAverage: loadavg(), memoryTotalBytes: totalmem(), memoryFreeBytes: freemem(),
        processMemoryBytes: process.memoryUsage.rss(),
      },
      ...(disk ? { disk } : {}),
      clock: clock
        ? { state: problem ? 'alarm' as const : clock.state.offsetSeconds === undefined ? 'unknown' as const : 'ok' as const, ...clock.state }
        : { state: 'not-configured' as const },
      services,
      alarms,
    };
  }

  async #probe(name: string, probe: () => Promise<ServiceProbeResult>, since: number, now: number): Promise<ServiceHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
    });
    let result: ServiceProbeResult;
    try {
      result = await Promise.race([probe(), timeout]);
    } catch (e) {
      this.error(name, e);
      result = { state: 'down', note: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
    const lastError = this.#errors.get(name);
    return {
      name, ...result, figures: result.figures ?? {},
      ...(result.state !== 'off' ? { uptimeSeconds: Math.round((now - since) / 1000) } : {}),
      ...(lastError ? { lastError } : {}),
    };
  }

  async #disk(): Promise<{ path: string; totalBytes: number; freeBytes: number } | undefined> {
    if (!this.o.dataDir) return undefined;
    const s = await statfs(this.o.dataDir).catch(() => undefined);
    return s && { path: this.o.dataDir, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    health: HealthReport;
  }
}

const figures = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } };
const lastError = { type: 'object', required: ['at', 'message'], properties: { at: { type: 'string', format: 'date-time' }, message: { type: 'string' } } };
const healthDetail = {
  type: 'object',
  required: ['status', 'checkedAt', 'version', 'startedAt', 'uptimeSeconds', 'host', 'clock', 'services', 'alarms'],
  properties: {
    status: { type: 'string', enum: ['ok', 'alarm'], description: 'alarm: see alarms' },
    checkedAt: { type: 'string', format: 'date-time', description: 'the HES clock now' },
    version: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' },
    uptimeSeconds: { type: 'integer' },
    host: {
      type: 'object',
      properties: {
        hostname: { type: 'string' }, cpus: { type: 'integer' }, loadAverage: { type: 'array', items: { type: 'number' }, description: '1, 5 and 15 minutes' },
        memoryTotalBytes: { type: 'integer' }, memoryFreeBytes: { type: 'integer' }, processMemoryBytes: { type: 'integer', description: 'resident set of this process' },
      },
    },
    disk: {
      type: 'object', description: 'the file system of the data folder (absent when the process has none)',
      properties: { path: { type: 'string' }, totalBytes: { type: 'integer' }, freeBytes: { type: 'integer' } },
    },
    clock: {
      type: 'object', required: ['state'], description: 'the HES clock against NTP (ntp.server)',
      properties: {
        state: { type: 'string', enum: ['not-configured', 'unknown', 'ok', 'alarm'], description: 'unknown: no answer from the server yet' },
        server: { type: 'string' },
        maxOffsetSeconds: { type: 'number' },
        offsetSeconds: { type: 'number', description: 'the HES clock minus NTP time (positive: ahead)' },
        roundTripMs: { type: 'number' },
        checkedAt: { type: 'string', format: 'date-time', description: 'when the offset was measured' },
        lastError,
      },
    },
    services: {
      type: 'array',
      items: {
        type: 'object', required: ['name', 'state', 'figures'],
        properties: {
          name: { type: 'string', description: 'registry, bus, clickhouse, decoder-pool, scheduler, cenc, wmbus, api' },
          state: { type: 'string', enum: ['up', 'down', 'off'], description: 'off: not run by this process' },
          version: { type: 'string' },
          uptimeSeconds: { type: 'integer' },
          lastError,
          figures: { ...figures, description: 'queue and lag figures, where it listens' },
          note: { type: 'string' },
        },
      },
    },
    alarms: {
      type: 'array',
      items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: ['CLOCK_OFFSET', 'SERVICE_DOWN', 'DISK_LOW'] }, message: { type: 'string' } } },
    },
  },
};

export function healthRoutes(app: FastifyInstance): void {
  app.get('/health/detail', {
    config: { access: ['Read.HesConfig'] },
    schema: { tags: ['health'], summary: 'Host and service health: each role of this process, the data folder\'s disk, the HES clock against NTP, alarms', response: { 200: healthDetail } },
  }, () => app.health.detail());
}
