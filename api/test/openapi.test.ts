/**
 * The OpenAPI document at /docs/json: structurally valid 3.1 (paths, parameters, unique operationIds,
 * every $ref resolves), and every operation documents a 2xx reply with a schema or a non-JSON content
 * type, plus its errors. The document does not depend on the registry engine, so PGlite alone serves it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { ENGINES } from '../../registry/testing.js';
import { startHarness, type Harness } from './harness.js';
import { guardSerialization } from './serialization-guard.js';

type Node = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Resolves a local JSON pointer (#/components/schemas/Device) in the document. */
function resolve(doc: Node, pointer: string): unknown {
  assert.ok(pointer.startsWith('#/'), `${pointer}: only local references are expected`);
  let node: unknown = doc;
  for (const raw of pointer.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = node !== null && typeof node === 'object' ? (node as Node)[key] : undefined;
  }
  return node;
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refsIn(n, out);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') out.push(String(v));
      else refsIn(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  let h: Harness;
  let doc: Node;
  let operations: { label: string; op: Node; path: string }[];
  before(async () => {
    h = await startHarness('pglite');
    const r = await h.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(r.statusCode, 200);
    doc = r.json();
    operations = Object.entries(doc.paths as Record<string, Node>).flatMap(([path, item]) =>
      Object.entries(item).filter(([m]) => METHODS.includes(m)).map(([m, op]) => ({ label: `${m.toUpperCase()} ${path}`, op: op as Node, path })));
  });
  after(() => h.close());

  it('is OpenAPI 3.1 with info, paths and components', () => {
    assert.equal(doc.openapi, '3.1.0');
    const info = doc.info as Node;
    assert.equal(typeof info.title, 'string');
    assert.equal(typeof info.version, 'string');
    assert.ok(operations.length > 100, `only ${operations.length} operations`);
    for (const path of Object.keys(doc.paths as Node)) assert.match(path, /^\/[^:]*$/, `${path}: paths start with / and use {param}, not :param`);
    const schemes = (doc.components as Node).securitySchemes as Node;
    for (const req of (doc.security ?? []) as Node[]) for (const name of Object.keys(req)) assert.ok(schemes[name], `security scheme ${name}`);
  });

  it('resolves every $ref', () => {
    const refs = refsIn(doc);
    assert.ok(refs.length > 100, 'components are referenced');
    for (const ref of new Set(refs)) assert.ok(resolve(doc, ref) !== undefined, `${ref} does not resolve`);
    for (const name of ['Error', 'Device', 'Task', 'Launch', 'ImportJob']) assert.ok(resolve(doc, `#/components/schemas/${name}`), name);
  });

  it('declares every path parameter, and operationIds are unique', () => {
    const ids = new Set<string>();
    for (const { label, op, path } of operations) {
      const declared = ((op.parameters ?? []) as Node[]).filter((p) => p.in === 'path');
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      assert.deepEqual(declared.map((p) => p.name).sort(), [...inPath].sort(), label);
      for (const p of declared) assert.equal(p.required, true, `${label}: path parameter ${String(p.name)}`);
      if (op.operationId !== undefined) {
        assert.ok(!ids.has(String(op.operationId)), `${label}: duplicate operationId ${String(op.operationId)}`);
        ids.add(String(op.operationId));
      }
    }
  });

  it('documents a 2xx reply of every operation: a JSON schema, no content (204) or a non-JSON content type', () => {
    const missing: string[] = [];
    for (const { label, op } of operations) {
      const ok = Object.entries(op.responses as Record<string, Node>).filter(([code]) => /^2\d\d$/.test(code));
      if (!ok.length) missing.push(`${label}: no 2xx response`);
      for (const [code, res] of ok) {
        assert.equal(typeof res.description, 'string', `${label} ${code}: description`);
        const content = res.content as Record<string, Node> | undefined;
        if (code === '204') {
          assert.equal(content, undefined, `${label}: 204 has no body`);
          continue;
        }
        if (!content) {
          missing.push(`${label} ${code}: no content`);
          continue;
        }
        for (const [type, media] of Object.entries(content)) {
          const schema = media.schema as Node | undefined;
          if (!schema) missing.push(`${label} ${code} ${type}: no schema`);
          else if (type === 'application/json') assert.ok(schema.$ref || schema.type || schema.anyOf || schema.allOf, `${label} ${code}: empty JSON schema`);
          else assert.equal(schema.type, 'string', `${label} ${code} ${type}: non-JSON bodies are strings or binary`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('documents errors with the shared Error schema', () => {
    const error = '#/components/schemas/Error';
    for (const { label, op } of operations) {
      if (!label.includes(' /api/v1/')) continue;
      const responses = op.responses as Record<string, Node>;
      const schemaOf = (code: string) => ((responses[code]?.content as Record<string, Node> | undefined)?.['application/json']?.schema as Node | undefined)?.$ref;
      assert.equal(schemaOf('4XX'), error, `${label}: 4XX`);
      assert.equal(schemaOf('5XX'), error, `${label}: 5XX`);
      assert.equal(schemaOf('401'), error, `${label}: 401`);
      if (label.includes('{')) assert.equal(schemaOf('404'), error, `${label}: 404`);
    }
  });

  it('lists, files and the import reply are described as they are sent', async () => {
    const paths = doc.paths as Record<string, Record<string, Node>>;
    const devices = (paths['/api/v1/projects/{projectId}/devices'].get.responses as Record<string, Node>)['200'];
    const list = resolve(doc, '#/components/schemas/Device') as Node;
    const page = ((devices.content as Record<string, Node>)['application/json'].schema as Node);
    assert.deepEqual((page.required as string[]).sort(), ['hasMore', 'items', 'limit', 'offset', 'total', 'totalExact']);
    assert.equal(((page.properties as Node).items as Node).items && (((page.properties as Node).items as Node).items as Node).$ref, '#/components/schemas/Device');
    assert.ok((list.required as string[]).includes('serialNumber'));

    const template = (paths['/api/v1/projects/{projectId}/devices/import-template'].get.responses as Record<string, Node>)['200'];
    assert.deepEqual(Object.keys(template.content as Node), [XLSX]);
    const r = await h.call('Operator', { method: 'GET', url: `/api/v1/projects/${h.projectId}/devices/import-template` });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], XLSX);

    const invalid = (paths['/api/v1/projects/{projectId}/devices/import'].post.responses as Record<string, Node>)['422'];
    assert.deepEqual(Object.keys(invalid.content as Node).sort(), ['application/json', XLSX]);
    const log = (paths['/api/v1/projects/{projectId}/launches/{launchId}/devices/{deviceId}/log'].get.responses as Record<string, Node>)['200'];
    assert.deepEqual(Object.keys(log.content as Node), ['text/plain']);
  });
});

/**
 * Replies of every component with real rows (the other API tests leave some lists empty). The harness's
 * serialization guard fails the suite when a schema drops or changes a field; the asserts here check
 * that the fields clients rely on arrive, and secrets do not.
 */
for (const engine of ENGINES) {
  describe(`replies with real rows keep every field (${engine})`, () => {
    let h: Harness;
    let base: string;
    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}`;
    });
    after(() => h.close());
    const call = async (role: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: object, status = method === 'POST' ? 201 : 200) => {
      const r = await h.call(role, { method, url, ...(payload ? { payload } : {}) });
      assert.equal(r.statusCode, status, `${method} ${url}: ${r.body}`);
      return r.json();
    };

    it('registry resources: created, read, changed and listed', async () => {
      const ch = await call('Administrator', 'POST', `${base}/channels`, { name: 'c1', kind: 'TCP', settings: { host: '10.0.0.1', port: 4059 } });
      assert.deepEqual((await call('Administrator', 'GET', `${base}/channels/${ch.id}`)).settings, ch.settings);
      assert.equal((await call('Administrator', 'PATCH', `${base}/channels/${ch.id}`, { exclusive: true })).exclusive, true);
      const pr = await call('Administrator', 'POST', `${base}/protocols`, { name: 'p1', kind: 'DLMS', settings: { password: '12345678', physicalServer: 16 } });
      const prPatched = await call('Administrator', 'PATCH', `${base}/protocols/${pr.id}`, { name: 'p2' });
      assert.deepEqual([prPatched.name, prPatched.secretsSet, prPatched.settings.physicalServer], ['p2', ['password'], 16]);
      assert.equal((await call('Administrator', 'GET', `${base}/protocols/${pr.id}`)).version, 2);
      const dev = await call('Administrator', 'POST', `${base}/devices`, { serialNumber: '0001', type: 'CE307' });
      assert.equal(dev.lastGaspAt, null);
      const groups = await call('Administrator', 'GET', `${base}/groups`);
      assert.equal((await call('Administrator', 'GET', `${base}/groups/${groups.items[0].id}`)).isDefault, true);
      const line = await call('Administrator', 'POST', `${base}/comm-lines`, { deviceId: dev.id, channelId: ch.id, protocolId: pr.id });
      assert.equal(line.profileId, null);
      assert.equal((await call('Administrator', 'PATCH', `${base}/comm-lines/${line.id}`, { address: '17' })).address, '17');
      assert.equal((await call('Administrator', 'GET', `${base}/comm-lines/${line.id}`)).attempts, 3);

      const key = await call('Administrator', 'POST', `${base}/security-keys`, { deviceId: dev.id, kind: 'DLMS_GUEK', key: '000102030405060708090a0b0c0d0e0f' });
      assert.equal(key.key, undefined);
      assert.equal(key.systemTitle, null);
      assert.equal((await call('Administrator', 'PATCH', `${base}/security-keys/${key.id}`, { systemTitle: '4d4d4d0000000001' })).systemTitle, '4d4d4d0000000001');
      assert.equal((await call('Administrator', 'GET', `${base}/security-keys/${key.id}`)).deviceId, dev.id);
      assert.equal((await call('Administrator', 'GET', `${base}/security-keys`)).items.length, 1);

      const agent = await call('Administrator', 'POST', `${base}/amr-agents`, { name: 'agent-1', password: 'secret1', groupIds: [groups.items[0].id] });
      assert.deepEqual([agent.groupIds, agent.password, agent.passwordHash], [[groups.items[0].id], undefined, undefined]);
      assert.equal((await call('Administrator', 'PATCH', `${base}/amr-agents/${agent.id}`, { name: 'agent-2' })).name, 'agent-2');
      assert.deepEqual((await call('Administrator', 'GET', `${base}/amr-agents/${agent.id}`)).groupIds, [groups.items[0].id]);
      assert.equal((await call('Administrator', 'GET', `${base}/amr-agents`)).items[0].name, 'agent-2');
    });

    it('administration: roles, users, archives, mail settings, events', async () => {
      const role = await call('Administrator', 'POST', '/api/v1/roles', { name: 'Readers', permissions: ['Read.Devices', 'Read.Projects'] });
      assert.deepEqual([role.builtin, role.permissions], [false, ['Read.Devices', 'Read.Projects']]);
      assert.deepEqual((await call('Administrator', 'PATCH', `/api/v1/roles/${role.id}`, { description: 'read only' })).permissions, ['Read.Devices', 'Read.Projects']);
      assert.equal((await call('Administrator', 'GET', `/api/v1/roles/${role.id}`)).description, 'read only');
      const users = await call('Administrator', 'GET', '/api/v1/users?username=u-operator');
      const user = await call('Administrator', 'PATCH', `/api/v1/users/${users.items[0].id}`, { displayName: 'Operator One' });
      assert.deepEqual([user.displayName, user.passwordHash, typeof user.lastLoginAt], ['Operator One', undefined, 'string']);
      assert.equal((await call('Administrator', 'GET', `/api/v1/users/${user.id}`)).email, '');
      const archives = await call('Administrator', 'GET', '/api/v1/archives?limit=1');
      const archive = await call('Administrator', 'PATCH', `/api/v1/archives/${archives.items[0].id}`, { neverPurge: true });
      assert.deepEqual([archive.neverPurge, archive.retentionSeconds], [true, archives.items[0].retentionSeconds]);
      const mail = await call('Administrator', 'PUT', '/api/v1/email-settings', { senderEmail: 'hes@example.org', smtpHost: 'smtp.example.org', smtpPort: 587, password: 'mail-secret' });
      assert.deepEqual([mail.passwordSet, mail.smtpPort, mail.password], [true, 587, undefined]);
      const events = await call('Administrator', 'GET', '/api/v1/events/security?code=SSET_ROLE_ADD');
      assert.deepEqual([events.items[0].params, events.items[0].username, typeof events.items[0].id], [{ role: 'Readers' }, 'u-administrator', 'number']);
    });

    it('collection: tasks, commands, launches', async () => {
      const dev = await call('Administrator', 'POST', `${base}/devices`, { serialNumber: '0002', type: 'CE308' });
      const content = { measurements: [{ archive: 'end-of-day', depth: { count: 2, unit: 'days' }, tags: ['A+ T0'] }], commands: [{ function: 'clock-sync', params: { maxDriftSeconds: 30 } }] };
      const task = await call('Administrator', 'POST', `${base}/tasks`, { name: 't1', deviceIds: [dev.id], content, schedule: 'every day at 01:00' });
      assert.deepEqual([task.schedule.nextFire.offsetMinutes, task.lastLaunch], [0, null]);
      const changed = await call('Administrator', 'PATCH', `${base}/tasks/${task.id}`, { priority: 7 });
      assert.deepEqual([changed.priority, changed.content], [7, task.content]);
      await call('Administrator', 'POST', `${base}/tasks/${task.id}/run`, undefined, 202);
      const got = await call('Operator', 'GET', `${base}/tasks/${task.id}`);
      assert.deepEqual([got.lastLaunch.state, got.lastLaunch.startedAt], ['pending', null]);
      const calendar = {
        name: 'flat', seasons: [{ name: 'all', start: '****-01-01T00:00', week: 'w' }],
        weeks: [{ name: 'w', monday: 1, tuesday: 1, wednesday: 1, thursday: 1, friday: 1, saturday: 1, sunday: 1 }],
        days: [{ dayId: 1, schedule: [{ start: '00:00', script: '0.0.10.0.100.255', selector: 1 }] }],
      };
      const cmd = await call('Administrator', 'POST', `${base}/commands/configure`, { deviceIds: [dev.id], function: 'tariff-write-passive', params: { calendar } });
      assert.deepEqual([cmd.source, cmd.content.commands[0].params.calendar, cmd.launch.state], ['command', calendar, 'pending']);
      // push setup as a command: the parameters round-trip; an unknown one is a 400 naming it
      const push = { destination: '10.0.0.9:4100', service: 'tcp', window: [{ start: '****-**-**T00:00', end: '****-**-**T06:00' }], randomisationS: 120, objects: [{ classId: 40, obis: '0.2.25.9.0.255', attribute: 1 }] };
      const setup = await call('Administrator', 'POST', `${base}/commands/configure`, { deviceIds: [dev.id], function: 'push-setup-write', params: { pushSetup: '0.2.25.9.0.255', push } });
      assert.deepEqual([setup.content.commands[0].params.pushSetup, setup.content.commands[0].params.push], ['0.2.25.9.0.255', push]);
      const bad = await call('Administrator', 'POST', `${base}/commands/configure`, { deviceIds: [dev.id], function: 'push-setup-write', params: { pushSetup: '0.2.25.9.0.255', push: { port: 1 } } }, 400);
      assert.match(bad.error.field, /push/);
    });
  });
}

describe('serialization guard', () => {
  it('reports properties a response schema drops and nulls it turns into strings', async () => {
    const app = Fastify();
    const problems = guardSerialization(app);
    const schema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string' } } };
    app.get('/fine', { schema: { response: { 200: schema } } }, async () => ({ a: 1, b: 'x' }));
    app.get('/dropped', { schema: { response: { 200: schema } } }, async () => ({ a: 1, c: true }));
    app.get('/nulled', { schema: { response: { 200: schema } } }, async () => ({ a: 1, b: null }));
    for (const url of ['/fine', '/dropped', '/nulled']) assert.equal((await app.inject({ url })).statusCode, 200);
    await app.close();
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /^GET \/dropped 200: built \{"a":1,"c":true\} but sent \{"a":1\}$/);
    assert.match(problems[1], /^GET \/nulled 200: built \{"a":1,"b":null\} but sent \{"a":1,"b":""\}$/);
  });
});
