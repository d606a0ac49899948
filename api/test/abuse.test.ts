/**
 * Malformed input never makes the API answer 5xx. The test walks the app's own OpenAPI document and,
 * for every operation, sends one request per parameter (path, query, top-level body field) × malformation
 * (a NUL byte, a huge number, a number beyond double range, the wrong type, an overlong string), the
 * other parameters being valid, once as an administrator and once as no user. Every answer must be a
 * 4xx in the project's error format (or a 2xx when the value happens to be acceptable), never a 5xx.
 * PGlite only (the validation does not depend on the engine); chDB serves the routes that read ClickHouse.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testWarehouse } from '../../sinks/clickhouse/testing.js';
import { createDevice } from '../../registry/project-data.js';
import { startHarness, type Harness } from './harness.js';

type Schema = Record<string, unknown>;
interface Operation { method: string; path: string; parameters: { in: string; name: string; required?: boolean; schema: Schema }[]; body?: Schema }

const warehouse = testWarehouse('abuse');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const LONG = 'x'.repeat(20_000);

/** Raw values as they travel in a URL (path or query). */
const URL_MALFORMED: Record<string, string> = {
  nul: '%00', nulInside: 'a%00b', huge: '9223372036854775808', beyondDouble: '1e400', negative: '-9223372036854775809',
  wrongType: 'not-a-value', overlong: 'x'.repeat(5000),
};
/** Raw JSON texts for a body field. */
const JSON_MALFORMED: Record<string, string> = {
  nul: '"\\u0000"', nulInside: '"a\\u0000b"', huge: '9223372036854775808', beyondDouble: '1e400', negativeHuge: '-1e400',
  wrongType: '{"nested":[1,2]}', array: '["a"]', overlong: JSON.stringify(LONG),
};

/** A valid value for a schema: the example a well-behaved client would send. */
function sample(schema: Schema | undefined, ids: Record<string, string>, name = ''): unknown {
  if (!schema) return 'x';
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const k of ['oneOf', 'anyOf', 'allOf']) if (Array.isArray(schema[k])) return sample((schema[k] as Schema[])[0], ids, name);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return ids[name] ?? randomUUID();
      if (schema.format === 'date-time') return '2025-01-01T00:00:00Z';
      return ids[name] ?? 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    case 'integer': case 'number': return Number(schema.minimum ?? 1);
    case 'boolean': return true;
    case 'array': return [];
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const key of (schema.required ?? []) as string[]) out[key] = sample(props[key], ids, key);
      return out;
    }
    default: return 'x';
  }
}

describe('malformed input to every route answers 4xx, never 5xx', () => {
  let h: Harness;
  let operations: Operation[];
  const ids: Record<string, string> = {};

  before(async () => {
    h = await startHarness('pglite', { clickhouse: warehouse });
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    operations = Object.entries(doc.paths as Record<string, Record<string, Schema>>).flatMap(([path, item]) =>
      Object.entries(item).filter(([m]) => METHODS.includes(m)).map(([method, op]) => ({
        method: method.toUpperCase(), path, parameters: (op.parameters ?? []) as Operation['parameters'],
        body: ((op.requestBody as Schema | undefined)?.content as Record<string, { schema: Schema }> | undefined)?.['application/json']?.schema,
      })));
    // Real rows, so that requests reach the code behind the existence checks.
    ids.projectId = h.projectId;
    ids.deviceId = String((await createDevice(h.t.db, h.projectId, { serialNumber: 'abuse-1', type: 'CE308' })).id);
    ids.groupId = (await h.t.db.query<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1', [h.projectId])).rows[0].id;
  });
  after(() => h.close());

  const urlOf = (op: Operation, values: Record<string, string>) =>
    op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? encodeURIComponent(String(sample(op.parameters.find((p) => p.name === name)?.schema, ids, name))));

  /** Every request of an operation: one per parameter × malformation, the rest valid. */
  function* requests(op: Operation): Generator<{ label: string; url: string; payload?: string }> {
    const requiredQuery = op.parameters.filter((p) => p.in === 'query' && p.required)
      .map((p) => `${p.name}=${encodeURIComponent(String(sample(p.schema, ids, p.name)))}`);
    const bodyText = op.body ? JSON.stringify(sample(op.body, ids)) : undefined;
    for (const p of op.parameters) {
      for (const [kind, raw] of Object.entries(URL_MALFORMED)) {
        if (p.in === 'path') yield { label: `path ${p.name} ${kind}`, url: urlOf(op, { [p.name]: raw }) + (requiredQuery.length ? `?${requiredQuery.join('&')}` : ''), payload: bodyText };
        else if (p.in === 'query') {
          const query = [...requiredQuery.filter((q) => !q.startsWith(`${p.name}=`)), `${p.name}=${raw}`];
          yield { label: `query ${p.name} ${kind}`, url: `${urlOf(op, {})}?${query.join('&')}`, payload: bodyText };
        }
      }
    }
    if (!op.body) return;
    const base = sample(op.body, ids) as Record<string, unknown>;
    const url = urlOf(op, {}) + (requiredQuery.length ? `?${requiredQuery.join('&')}` : '');
    for (const [kind, raw] of Object.entries(JSON_MALFORMED)) yield { label: `body ${kind}`, url, payload: raw };
    for (const field of Object.keys((op.body.properties ?? {}) as Record<string, Schema>)) {
      for (const [kind, raw] of Object.entries(JSON_MALFORMED)) {
        const fields = Object.entries(base).filter(([k]) => k !== field).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
        yield { label: `body.${field} ${kind}`, url, payload: `{${[...fields, `${JSON.stringify(field)}:${raw}`].join(',')}}` };
      }
    }
  }

  it('names the field of the cases the outside test found', async () => {
    const device = `/api/v1/projects/${h.projectId}/devices/${ids.deviceId}`;
    const cases: [string | null, 'GET' | 'POST' | 'PUT', string, string | undefined, number, string][] = [
      [null, 'POST', '/api/v1/auth/login', '{"username":"admin\\u0000","password":"x"}', 400, 'body.username'],
      ['Administrator', 'GET', '/api/v1/projects/%00/devices', undefined, 400, 'params.projectId'],
      ['Administrator', 'GET', `/api/v1/projects/${h.projectId}/devices?serialNumber=a%00`, undefined, 400, 'querystring.serialNumber'],
      ['Administrator', 'GET', `/api/v1/projects/${h.projectId}/devices?offset=9223372036854775808`, undefined, 400, 'querystring.offset'],
      ['Administrator', 'GET', `/api/v1/projects/${h.projectId}/devices?limit=1e400`, undefined, 400, 'querystring.limit'],
      ['Administrator', 'GET', `/api/v1/projects/${h.projectId}/tasks?offset=1e400`, undefined, 400, 'querystring.offset'],
      ['Administrator', 'GET', `${device}/measurements?offset=9007199254740993`, undefined, 400, 'querystring.offset'],
      ['Administrator', 'GET', `${device}/events?offset=9007199254740993`, undefined, 400, 'querystring.offset'],
      ['Administrator', 'PUT', `/api/v1/projects/${randomUUID()}/members/${randomUUID()}`, undefined, 404, ''],
    ];
    for (const [role, method, url, payload, status, field] of cases) {
      const r = await h.call(role, { method, url, ...(payload ? { payload, headers: { 'content-type': 'application/json' } } : {}) });
      assert.equal(r.statusCode, status, `${method} ${url}: ${r.body}`);
      if (field) assert.equal(r.json().error.field, field, `${method} ${url}`);
    }
    const user = (await h.call('Administrator', { method: 'GET', url: '/api/v1/users?username=u-operator' })).json().items[0].id;
    const r = await h.call('Administrator', { method: 'PUT', url: `/api/v1/projects/${randomUUID()}/members/${user}` });
    assert.equal(r.statusCode, 404, r.body);
  });

  /** The project's error format, or on the CIM endpoint the IEC 61968-100 reply: FAILED with coded Errors. */
  const codedError = (body: { error?: { code?: unknown }; ResponseMessage?: { Reply?: { Result?: unknown; Error?: { code?: unknown }[] } } }) => {
    const reply = body.ResponseMessage?.Reply;
    if (reply) return reply.Result === 'FAILED' && !!reply.Error?.length && reply.Error.every((e) => typeof e.code === 'string');
    return typeof body.error?.code === 'string';
  };

  for (const role of [null, 'Administrator'] as const) {
    it(`as ${role ?? 'no user'}`, async () => {
      const failures: string[] = [];
      let sent = 0;
      for (const op of operations) {
        for (const r of requests(op)) {
          const res = await h.call(role, {
            method: op.method as 'GET', url: r.url,
            ...(r.payload !== undefined ? { payload: r.payload, headers: { 'content-type': 'application/json' } } : {}),
          });
          sent++;
          if (res.statusCode >= 500) failures.push(`${op.method} ${op.path} ${r.label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          else if (res.statusCode >= 400 && !codedError(JSON.parse(res.body))) {
            failures.push(`${op.method} ${op.path} ${r.label}: ${res.statusCode} without a coded error: ${res.body.slice(0, 200)}`);
          }
        }
      }
      assert.ok(sent > 1000, `only ${sent} requests`);
      assert.equal(failures.length, 0, `${failures.length} answers were 5xx or uncoded:\n${failures.join('\n')}`);
    });
  }
});
