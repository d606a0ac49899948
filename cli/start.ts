/**
 * `hes start`: opens the registry (migrations, first-start data) and serves the API. `startHes(config)` is
 * the one place where the running HES is assembled; the scheduler, connectors and pipeline join it here.
 */
import type { FastifyInstance } from 'fastify';
import type { HesConfig } from '../config/index.js';
import { openRegistry, type Registry } from '../registry/open.js';
import { buildApp } from '../api/app.js';
import { parse, configFrom, registryHelp } from './options.js';

export interface RunningHes {
  config: HesConfig;
  registry: Registry;
  api: FastifyInstance;
  /** Where the API listens, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

export async function startHes(config: HesConfig): Promise<RunningHes> {
  const registry = await openRegistry(config);
  const api = await buildApp({ db: registry.db, box: registry.box, config });
  let url: string;
  try {
    url = await api.listen({ host: config.httpHost, port: config.httpPort });
  } catch (e) {
    await api.close();
    await registry.db.close();
    throw e;
  }
  return {
    config, registry, api, url,
    async close() {
      await api.close();
      await registry.db.close();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parse(argv, { 'http-port': { type: 'string' }, 'http-host': { type: 'string' } });
  if (values.help) {
    process.stdout.write(['usage: hes start [options]', ...registryHelp, '  --http-port PORT      API port (default 8080)', '  --http-host HOST      API address (default 0.0.0.0)', ''].join('\n'));
    return 0;
  }
  const config = configFrom(values, {
    httpPort: values['http-port'] === undefined ? undefined : Number(values['http-port']),
    httpHost: values['http-host'] as string | undefined,
  });
  const hes = await startHes(config);
  const storage = config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}/registry`;
  process.stdout.write(`HES API listening on ${hes.url} (registry: ${storage}); OpenAPI at ${hes.url}/docs\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await hes.close();
  return 0;
}
