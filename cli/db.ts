/** `hes db init`: create (or upgrade) the registry database: migrations and first-start data. */
import { openRegistry } from '../registry/open.js';
import { parse, configFrom, registryHelp } from './options.js';

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'no-default-accounts': { type: 'boolean' } });
  if (values.help || positionals[0] !== 'init') {
    process.stdout.write(['usage: hes db init [options]', ...registryHelp, '  --no-default-accounts  do not create admin/operator/user in an empty registry', ''].join('\n'));
    return values.help ? 0 : 2;
  }
  const cfg = configFrom(values);
  const { db } = await openRegistry(cfg, { defaultAccounts: !values['no-default-accounts'] });
  const v = await db.query<{ v: number }>('SELECT max(version)::int AS v FROM schema_migrations');
  await db.close();
  process.stdout.write(`registry ready at schema version ${v.rows[0].v} (${cfg.databaseUrl ? 'PostgreSQL' : `${cfg.dataDir}/registry`})\n`);
  return 0;
}
