/**
 * docs/sql.md runs: every worked query of the document is read out of it and run on chDB against the tables
 * and views of schemas/clickhouse holding the test data below, and its result must be the table printed under
 * it, so the document cannot drift from the schema.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testWarehouse } from './testing.js';
import { SAMPLE_WAREHOUSE } from './sql-samples.js';

const doc = readFileSync(new URL('../../../docs/sql.md', import.meta.url), 'utf8');

interface WorkedQuery {
  title: string;
  sql: string;
  columns: string[];
  rows: string[][];
}

/** Each `### ` section's first sql block and the markdown table after it. */
function workedQueries(markdown: string): WorkedQuery[] {
  const out: WorkedQuery[] = [];
  for (const section of markdown.split(/^### /m).slice(1)) {
    const sql = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
    if (!sql) continue;
    const after = section.slice(section.indexOf('```', section.indexOf('```sql') + 6) + 3);
    const table = after.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('|'));
    const cells = (line: string) => line.slice(1, -1).split('|').map((c) => c.trim());
    out.push({ title: section.slice(0, section.indexOf('\n')).trim(), sql: sql.trim(), columns: cells(table[0] ?? '||'), rows: table.slice(2).map(cells) });
  }
  return out;
}

const cell = (v: unknown): string => (Array.isArray(v) ? JSON.stringify(v) : String(v));

describe('docs/sql.md', () => {
  const warehouse = testWarehouse('sql-docs');
  before(async () => {
    for (const sql of SAMPLE_WAREHOUSE) await warehouse.exec(sql);
  });

  const queries = workedQueries(doc);
  it('holds ten worked queries, each with its result', () => {
    assert.ok(queries.length >= 10, `${queries.length} worked queries`);
    for (const q of queries) assert.ok(q.columns.length > 0 && q.rows.length > 0, q.title);
  });

  for (const q of queries) {
    it(q.title, async () => {
      const rows = await warehouse.query<Record<string, unknown>>(q.sql);
      assert.deepEqual(rows.length ? Object.keys(rows[0]!) : q.columns, q.columns, 'columns');
      assert.deepEqual(rows.map((r) => Object.values(r).map(cell)), q.rows);
    });
  }
});
