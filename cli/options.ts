/** Options shared by the commands that open the registry: where the data and the database are. */
import { parseArgs } from 'node:util';
import { loadConfig, type HesConfig } from '../config/index.js';

export const registryOptions = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const registryHelp = [
  '  --config FILE         JSON configuration file (also $HES_CONFIG)',
  '  --data-dir DIR        data folder; the embedded registry lives in DIR/registry (default ./hes-data)',
  '  --database-url URL    PostgreSQL server instead of the embedded registry (also $HES_DATABASE_URL)',
];

type Parsed = { values: Record<string, string | boolean | undefined>; positionals: string[] };

export function parse<O extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(argv: string[], options: O): Parsed {
  return parseArgs({ args: argv, options: { ...registryOptions, ...options }, allowPositionals: true, strict: true }) as Parsed;
}

export function configFrom(values: Parsed['values'], extra: Partial<HesConfig> = {}): HesConfig {
  return loadConfig({
    file: values.config as string | undefined,
    overrides: { dataDir: values['data-dir'] as string | undefined, databaseUrl: values['database-url'] as string | undefined, ...extra },
  });
}
