/**
 * Generic list/get/insert/update/delete over one table, driven by a field map (API name → column).
 * Project-owned tables always filter on project_id, so a caller cannot reach another project's rows.
 * Every row has a `version` that increases on each update: callers pass the version they saw (If-Match)
 * to refuse lost updates.
 */
import { pageSql, type Db, type Row } from './db.js';
import { RegistryError, fromPgError } from './errors.js';

export interface Field {
  column: string;
  /** How the value is filtered: exact match, case-insensitive prefix, or not at all. */
  filter?: 'eq' | 'prefix';
  sortable?: boolean;
  /** Accepted in create/update bodies. */
  writable?: boolean;
  /** Never leaves the registry (hashes, ciphertexts). */
  hidden?: boolean;
}

export interface TableSpec {
  table: string;
  projectScoped: boolean;
  fields: Record<string, Field>;
  /** Default sort field (API name). */
  sort: string;
  /** Constraint or index name → API field, for coded conflict errors. */
  constraints?: Record<string, string>;
  /** Name of the thing in messages. */
  noun: string;
}

export interface ListQuery {
  limit?: number;
  offset?: number;
  sort?: string;
  order?: 'asc' | 'desc';
  filters?: Record<string, unknown>;
  /** 'exact' counts every matching row; the default stops at EXACT_COUNT_LIMIT and estimates beyond. */
  count?: 'exact' | 'estimate';
}

export interface Page<T> {
  items: T[];
  /** Exact up to EXACT_COUNT_LIMIT matching rows (always with count 'exact'); beyond, the planner's estimate (totalExact false). */
  total: number;
  totalExact: boolean;
  /** More rows follow this page. */
  hasMore: boolean;
  limit: number;
  offset: number;
}

/** Counting a million matching rows costs more than reading the page: lists count exactly up to this many. */
export const EXACT_COUNT_LIMIT = 10_000;

const quoteId = (c: string) => `"${c}"`;

function selectList(spec: TableSpec): string {
  return Object.entries(spec.fields)
    .filter(([, f]) => !f.hidden)
    .map(([name, f]) => `${quoteId(f.column)} AS ${quoteId(name)}`)
    .join(', ');
}

export function toApi(spec: TableSpec, row: Row): Row {
  const out: Row = {};
  for (const [name, f] of Object.entries(spec.fields)) if (!f.hidden) out[name] = row[name] ?? row[f.column] ?? null;
  return out;
}

function scope(spec: TableSpec, projectId: string | null, where: string[], params: unknown[]): void {
  if (!spec.projectScoped) return;
  if (!projectId) throw new Error(`${spec.table}: project id required`);
  params.push(projectId);
  where.push(`project_id = $${params.length}`);
}

export async function list(db: Db, spec: TableSpec, projectId: string | null, q: ListQuery = {}): Promise<Page<Row>> {
  const where: string[] = [];
  const params: unknown[] = [];
  scope(spec, projectId, where, params);
  for (const [name, value] of Object.entries(q.filters ?? {})) {
    const f = spec.fields[name];
    if (value === undefined || !f?.filter) continue;
    if (f.filter === 'prefix') {
      params.push(String(value).toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%');
      where.push(`lower(${quoteId(f.column)}) LIKE $${params.length}`);
    } else {
      params.push(value);
      where.push(`${quoteId(f.column)} = $${params.length}`);
    }
  }
  const sortName = q.sort ?? spec.sort;
  const sortField = spec.fields[sortName];
  if (!sortField?.sortable) throw new RegistryError('INVALID_SORT', `cannot sort by "${sortName}"`, 400, 'querystring.sort');
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 1000);
  const offset = Math.max(q.offset ?? 0, 0);
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const from = `FROM ${spec.table} ${whereSql}`;
  const exact = q.count === 'exact';
  const pageParams = [...params];
  const countParams = exact ? params : [...params, EXACT_COUNT_LIMIT + 1];
  const [rows, count] = await Promise.all([
    db.query(`SELECT ${selectList(spec)} ${from} ORDER BY ${quoteId(sortField.column)} ${dir}, id ${dir} ${pageSql(pageParams, limit + 1, offset)}`, pageParams),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 ${from}${exact ? '' : ` LIMIT $${countParams.length}`}) s`, countParams),
  ]);
  const hasMore = rows.rows.length > limit;
  const items = hasMore ? rows.rows.slice(0, limit) : rows.rows;
  let total = count.rows[0].n;
  const totalExact = exact || total <= EXACT_COUNT_LIMIT;
  if (!totalExact) {
    const plan = await db.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) SELECT 1 ${from}`, params);
    total = Math.max(EXACT_COUNT_LIMIT + 1, offset + items.length + (hasMore ? 1 : 0), Math.round(plan.rows[0]['QUERY PLAN'][0].Plan['Plan Rows']));
  }
  return { items, total, totalExact, hasMore, limit, offset };
}

export async function get(db: Db, spec: TableSpec, projectId: string | null, id: string): Promise<Row> {
  const where = ['id = $1'];
  const params: unknown[] = [id];
  scope(spec, projectId, where, params);
  const r = await db.query(`SELECT ${selectList(spec)} FROM ${spec.table} WHERE ${where.join(' AND ')}`, params);
  if (!r.rows.length) throw notFound(spec);
  return r.rows[0];
}

export function notFound(spec: TableSpec): RegistryError {
  return new RegistryError('NOT_FOUND', `${spec.noun} not found`, 404);
}

function columnsOf(spec: TableSpec, values: Row, extra: Row): { cols: string[]; vals: unknown[] } {
  const cols: string[] = [];
  const vals: unknown[] = [];
  for (const [name, v] of Object.entries(values)) {
    const f = spec.fields[name];
    if (!f?.writable || v === undefined) continue;
    cols.push(f.column);
    vals.push(jsonable(v));
  }
  for (const [col, v] of Object.entries(extra)) {
    cols.push(col);
    vals.push(jsonable(v));
  }
  return { cols, vals };
}

/** Objects go to jsonb as JSON text; arrays stay arrays (uuid[]/text[] columns). */
const jsonable = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? JSON.stringify(v) : v);

export async function insert(db: Db, spec: TableSpec, projectId: string | null, values: Row, extra: Row = {}): Promise<Row> {
  const { cols, vals } = columnsOf(spec, values, spec.projectScoped ? { project_id: projectId, ...extra } : extra);
  try {
    const r = await db.query(
      `INSERT INTO ${spec.table} (${cols.map(quoteId).join(', ')}) VALUES (${vals.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${selectList(spec)}`,
      vals,
    );
    return r.rows[0];
  } catch (e) {
    throw fromPgError(e, (c) => spec.constraints?.[c]);
  }
}

export async function update(
  db: Db, spec: TableSpec, projectId: string | null, id: string, patch: Row, expectedVersion?: number, extra: Row = {},
): Promise<Row> {
  const { cols, vals } = columnsOf(spec, patch, extra);
  const params: unknown[] = [...vals, id];
  const where = [`id = $${params.length}`];
  scope(spec, projectId, where, params);
  if (expectedVersion !== undefined) {
    params.push(expectedVersion);
    where.push(`version = $${params.length}`);
  }
  const sets = [...cols.map((c, i) => `${quoteId(c)} = $${i + 1}`), 'version = version + 1'];
  try {
    const r = await db.query(`UPDATE ${spec.table} SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING ${selectList(spec)}`, params);
    if (r.rows.length) return r.rows[0];
  } catch (e) {
    throw fromPgError(e, (c) => spec.constraints?.[c]);
  }
  await get(db, spec, projectId, id); // 404 when missing, else the version did not match
  throw versionConflict(spec);
}

export function versionConflict(spec: TableSpec): RegistryError {
  return new RegistryError('VERSION_CONFLICT', `${spec.noun} was changed by someone else; reload it and retry`, 412, 'headers.if-match');
}

export async function remove(db: Db, spec: TableSpec, projectId: string | null, id: string, expectedVersion?: number): Promise<Row> {
  const params: unknown[] = [id];
  const where = ['id = $1'];
  scope(spec, projectId, where, params);
  if (expectedVersion !== undefined) {
    params.push(expectedVersion);
    where.push(`version = $${params.length}`);
  }
  try {
    const r = await db.query(`DELETE FROM ${spec.table} WHERE ${where.join(' AND ')} RETURNING ${selectList(spec)}`, params);
    if (r.rows.length) return r.rows[0];
  } catch (e) {
    throw fromPgError(e, (c) => spec.constraints?.[c]);
  }
  await get(db, spec, projectId, id);
  throw versionConflict(spec);
}
