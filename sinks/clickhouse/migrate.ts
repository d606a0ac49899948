/** Applies schemas/clickhouse/NNN_*.sql in order, once each, recording them in `schema_migrations`. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClickHouseEngine } from './engine.js';

const dir = fileURLToPath(new URL('../../schemas/clickhouse/', import.meta.url));

export async function migrate(engine: ClickHouseEngine): Promise<string[]> {
  await engine.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY name');
  const done = new Set((await engine.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
  const applied: string[] = [];
  for (const file of readdirSync(dir).filter((f) => /^\d+_.*\.sql$/.test(f)).sort()) {
    if (done.has(file)) continue;
    for (const statement of readFileSync(dir + file, 'utf8').split(/;\s*(?:\n|$)/)) {
      const sql = statement.replace(/^\s*--.*$/gm, '').trim();
      if (sql) await engine.exec(sql);
    }
    await engine.exec('INSERT INTO schema_migrations (name) VALUES ({name:String})', { name: file });
    applied.push(file);
  }
  return applied;
}
