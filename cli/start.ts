/**
 * `hes start`: opens the registry (migrations, first-start data), serves the API and runs the scheduler
 * role, which reads meters over their comm lines (scheduler/dlms-reader.ts) and stores readings in the
 * registry (scheduler/readings.ts). `startHes(config)` is the one place where the running HES is assembled.
 * `--demo N` adds a simulated fleet of N meters, registered with collection tasks (cli/demo.ts).
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { HesConfig } from '../config/index.js';
import { openRegistry, type Registry } from '../registry/open.js';
import { buildApp } from '../api/app.js';
import { ChannelScheduler } from '../ingest/channels/scheduler.js';
import { RegistryInvocationCounterStore } from '../scheduler/counters.js';
import { DlmsDeviceReader } from '../scheduler/dlms-reader.js';
import { RegistryReadingSink } from '../scheduler/readings.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { DEMO_PROJECT, startDemo, type Demo } from './demo.js';
import { parse, configFrom, registryHelp } from './options.js';

export interface StartOptions {
  /** Run the scheduler role in this process (default true). */
  scheduler?: boolean;
  /** Start a simulated fleet of this many meters and register it in the "Demo" project. */
  demo?: number;
}

export interface RunningHes {
  config: HesConfig;
  registry: Registry;
  api: FastifyInstance;
  scheduler?: Scheduler;
  demo?: Demo;
  /** Where the API listens, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

export async function startHes(config: HesConfig, opts: StartOptions = {}): Promise<RunningHes> {
  const registry = await openRegistry(config);
  const { db, box } = registry;
  const api = await buildApp({ db, box, config });
  let demo: Demo | undefined;
  let scheduler: Scheduler | undefined;
  const close = async () => {
    await scheduler?.stop();
    await api.close();
    await demo?.close();
    await db.close();
  };
  let url: string;
  try {
    if (opts.demo) demo = await startDemo(db, box, opts.demo, join(config.dataDir, 'demo-meters.json'));
    if (opts.scheduler !== false) {
      scheduler = new Scheduler({ db, reader: new DlmsDeviceReader({ db, box, counters: new RegistryInvocationCounterStore(db) }), sink: new RegistryReadingSink(db), gate: new ChannelScheduler() });
    }
    url = await api.listen({ host: config.httpHost, port: config.httpPort });
    scheduler?.start();
  } catch (e) {
    await close();
    throw e;
  }
  return { config, registry, api, scheduler, demo, url, close };
}

const help = [
  'usage: hes start [options]',
  ...registryHelp,
  '  --http-port PORT      API port (default 8080)',
  '  --http-host HOST      API address (default 0.0.0.0)',
  '  --demo N              also serve N simulated meters, registered in the "Demo" project with a daily and a',
  '                        15-minute collection task (run once at start)',
  '  --no-scheduler        serve the API only (another process runs the scheduler role)',
  '',
].join('\n');

export async function main(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    'http-port': { type: 'string' }, 'http-host': { type: 'string' }, demo: { type: 'string' }, 'no-scheduler': { type: 'boolean' },
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
  const hes = await startHes(config, { demo, scheduler: values['no-scheduler'] !== true });
  const storage = config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}/registry`;
  const local = hes.url.replace('://0.0.0.0', '://127.0.0.1');
  const lines = [
    `HES API listening on ${hes.url} (registry: ${storage}); OpenAPI at ${local}/docs`,
    `scheduler: ${hes.scheduler ? `running (${hes.scheduler.instanceId})` : 'not in this process'}`,
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
