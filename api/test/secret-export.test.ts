/**
 * Secrets in exports (issue 14 item 2), configuration import integrity (item 7) and the export → import
 * round trip of the demo project (issue 15 item 1): placeholders by default for every role; secrets only for
 * Export.Secrets, when asked, wrapped under the caller's transport key or sealed with a passphrase, audited.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { ENGINES } from '../../registry/testing.js';
import type { Db } from '../../registry/db.js';
import type { SecretBox } from '../../registry/crypto.js';
import { ProtocolStore } from '../../registry/project-data.js';
import { registerFleet } from '../../cli/demo.js';
import { Fleet } from '../../sim/fleet.js';
import { simFleetConfig } from '../../ingest/testing/sim-meters.js';
import { WPORT_BASE } from '../../sim/transport/addressing.js';
import { startHarness, type Harness } from './harness.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const KEY = randomBytes(32);
const KEY_HEX = KEY.toString('hex');
const PASSWORD = 'LLS-pass-7731';

/** The registry of a project in names rather than ids: what an export → import must keep. */
async function registryOf(db: Db, box: SecretBox, projectId: string) {
  const store = new ProtocolStore(db, box);
  const q = async (sql: string) => (await db.query<Record<string, unknown>>(sql, [projectId])).rows;
  return {
    channels: await q('SELECT name, kind, exclusive, settings FROM channels WHERE project_id = $1 ORDER BY name'),
    protocols: (await q('SELECT id, name, kind, settings, secrets_enc AS "secretsEnc" FROM protocols WHERE project_id = $1 ORDER BY name'))
      .map((p) => ({ name: p.name, kind: p.kind, settings: p.settings, secrets: store.secrets(p) })),
    devices: await q(`SELECT d.serial_number, d.type, d.status, d.enabled, g.name AS grp FROM devices d JOIN device_groups g ON g.id = d.group_id
      WHERE d.project_id = $1 ORDER BY d.serial_number, d.type`),
    commLines: await q(`SELECT d.serial_number, c.name AS channel, p.name AS protocol, l.profile_id, l.protocol_map, l.enabled, l.address, l.priority, l.attempts
      FROM comm_lines l JOIN devices d ON d.id = l.device_id JOIN channels c ON c.id = l.channel_id JOIN protocols p ON p.id = l.protocol_id
      WHERE l.project_id = $1 ORDER BY d.serial_number, l.address`),
  };
}

/** RFC 3394 / RFC 5649 unwrap written here from node:crypto, independent of the code under test. */
function unwrap(text: string, key: Buffer): string {
  const [alg, b64] = text.split(':');
  const pad = alg === 'A256KWP';
  const d = createDecipheriv(pad ? 'id-aes256-wrap-pad' : 'id-aes256-wrap', key, Buffer.from(pad ? 'A65959A6' : 'A6A6A6A6A6A6A6A6', 'hex'));
  const plain = Buffer.concat([d.update(Buffer.from(b64, 'base64')), d.final()]);
  return pad ? plain.toString('utf8') : plain.toString('hex').toUpperCase();
}

for (const engine of ENGINES) {
  describe(`secret export and configuration import (${engine})`, () => {
    let h: Harness;
    let base: string;
    /** Every secret stored in the project, as text. */
    let stored: string[];
    const projectCopy = async (name: string) => String((await h.call('Administrator', { method: 'POST', url: '/api/v1/projects', payload: { name } })).json().id);
    const events = async (code: string) => (await h.t.db.query<{ username: string; level: string; params: Record<string, unknown> }>(
      'SELECT username, level, params FROM events WHERE category = $1 AND code = $2 ORDER BY id', ['security', code])).rows;

    before(async () => {
      h = await startHarness(engine);
      base = `/api/v1/projects/${h.projectId}`;
      // The demo's registration (cli/demo.ts): one HLS protocol per meter with its keys, comm lines with the meter's wPort.
      await registerFleet(h.t.db, h.box, h.projectId, new Fleet(simFleetConfig({ meters: 3 })), '127.0.0.1', 4059);
      await new ProtocolStore(h.t.db, h.box).create(h.projectId, { name: 'LLS meters', kind: 'DLMS', settings: { authentication: 'low', password: PASSWORD } });
      const store = new ProtocolStore(h.t.db, h.box);
      const rows = (await h.t.db.query<Record<string, unknown>>('SELECT id, secrets_enc AS "secretsEnc" FROM protocols WHERE project_id = $1', [h.projectId])).rows;
      stored = rows.flatMap((r) => Object.values(store.secrets(r)));
      assert.equal(stored.length, 7, 'three meters with two keys each, one password');
    });
    after(() => h.close());

    it('exports placeholders to every role by default; secrets only to Export.Secrets holders who ask, wrapped, audited', async () => {
      for (const role of ['Operator', 'Project Manager', 'Administrator']) {
        const r = await h.call(role, { method: 'GET', url: `${base}/config` });
        assert.equal(r.statusCode, 200, r.body);
        for (const s of stored) assert.ok(!r.body.includes(s), `${role}: a secret is in the default export`);
        const lls = r.json().Protocols.find((p: { Name: string }) => p.Name === 'LLS meters');
        assert.deepEqual(lls.Secrets, { DLMS_PASSWORD: { secretsSet: true } });
        assert.equal(JSON.parse(lls.Settings).DLMS_PASSWORD, undefined);
      }
      assert.equal((await events('SSET_SECRETS_EXPORT')).length, 0, 'placeholders are no secret export');

      for (const role of ['Operator', 'Project Manager']) {
        const r = await h.call(role, { method: 'GET', url: `${base}/config?secrets=include`, headers: { 'x-transport-key': KEY_HEX } });
        assert.deepEqual([r.statusCode, r.json().error.code, r.json().error.field], [403, 'FORBIDDEN', 'querystring.secrets'], role);
        const x = await h.call(role, { method: 'GET', url: `${base}/devices/export?secrets=include`, headers: { 'x-transport-key': KEY_HEX } });
        assert.equal(x.statusCode, 403, role);
      }
      const refused = await events('SSET_SECRETS_EXPORT_REFUSED');
      assert.deepEqual(refused.map((e) => [e.username, e.level, e.params.format]), [
        ['u-operator', 'warning', 'json'], ['u-operator', 'warning', 'xlsx'], ['u-project-manager', 'warning', 'json'], ['u-project-manager', 'warning', 'xlsx'],
      ]);

      const bare = await h.call('Administrator', { method: 'GET', url: `${base}/config?secrets=include` });
      assert.deepEqual([bare.statusCode, bare.json().error.code, bare.json().error.field], [400, 'TRANSPORT_KEY_REQUIRED', 'headers.x-transport-key']);
      const short = await h.call('Administrator', { method: 'GET', url: `${base}/config?secrets=include`, headers: { 'x-transport-key': 'abcd' } });
      assert.deepEqual([short.statusCode, short.json().error.field], [400, 'headers.x-transport-key']);

      const r = await h.call('Administrator', { method: 'GET', url: `${base}/config?secrets=include`, headers: { 'x-transport-key': KEY_HEX } });
      assert.equal(r.statusCode, 200, r.body);
      for (const s of stored) assert.ok(!r.body.includes(s), 'wrapped, never in clear');
      const secrets = r.json().Protocols.flatMap((p: { Secrets?: Record<string, { wrapped: string }> }) => Object.values(p.Secrets ?? {}).map((e) => unwrap(e.wrapped, KEY)));
      assert.deepEqual(secrets.sort(), [...stored].sort());
      const lls = r.json().Protocols.find((p: { Name: string }) => p.Name === 'LLS meters');
      assert.match(lls.Secrets.DLMS_PASSWORD.wrapped, /^A256KWP:/);
      const demo = r.json().Protocols.find((p: { Name: string }) => p.Name.startsWith('DLMS '));
      assert.deepEqual(Object.keys(demo.Secrets).sort(), ['DLMS_AUTHENTICATION_KEY', 'DLMS_ENCRYPTION_KEY']);
      assert.match(demo.Secrets.DLMS_ENCRYPTION_KEY.wrapped, /^A256KW:[A-Za-z0-9+/]{32}$/, '16-byte key + 8 bytes of integrity check');
      const audited = await events('SSET_SECRETS_EXPORT');
      assert.deepEqual(audited.map((e) => [e.username, e.level, e.params]), [['u-administrator', 'warning', { format: 'json', protection: 'key-wrap', secrets: 7 }]]);
      // The permission decides, not the role's name: a custom role with it (and the read permissions) may export.
      await h.addRole('Key custodian', ['Read.Devices', 'Read.ChannelSettings', 'Read.ProtocolSettings', 'Read.DeviceCommline', 'Export.Secrets']);
      const custodian = await h.call('Key custodian', { method: 'GET', url: `${base}/config?secrets=include`, headers: { 'x-transport-key': KEY_HEX } });
      assert.equal(custodian.statusCode, 200, custodian.body);
      assert.equal((await events('SSET_SECRETS_EXPORT')).at(-1)?.username, 'u-key-custodian');
    });

    it('imports wrapped secrets into an empty project with the transport key; a wrong or missing key changes nothing', async () => {
      const exp = (await h.call('Administrator', { method: 'GET', url: `${base}/config?secrets=include`, headers: { 'x-transport-key': KEY_HEX } })).json();
      const target = await projectCopy('Wrapped copy');
      const url = `/api/v1/projects/${target}/config`;
      const empty = await registryOf(h.t.db, h.box, target);
      const wrong = await h.call('Administrator', { method: 'POST', url, payload: exp, headers: { 'x-transport-key': randomBytes(32).toString('hex') } });
      assert.deepEqual([wrong.statusCode, wrong.json().error.code, wrong.json().error.field], [400, 'TRANSPORT_KEY_MISMATCH', 'headers.x-transport-key']);
      const missing = await h.call('Administrator', { method: 'POST', url, payload: exp });
      assert.deepEqual([missing.statusCode, missing.json().error.code], [400, 'TRANSPORT_KEY_REQUIRED']);
      const altered = structuredClone(exp);
      const demo = altered.Protocols.find((p: { Name: string }) => p.Name.startsWith('DLMS '));
      demo.Secrets.DLMS_ENCRYPTION_KEY.wrapped = demo.Secrets.DLMS_AUTHENTICATION_KEY.wrapped.replace(/^A256KW:./, 'A256KW:A');
      const tampered = await h.call('Administrator', { method: 'POST', url, payload: altered, headers: { 'x-transport-key': KEY_HEX } });
      assert.equal(tampered.json().error?.code, 'TRANSPORT_KEY_MISMATCH');
      assert.deepEqual(await registryOf(h.t.db, h.box, target), empty, 'nothing imported');

      const ok = await h.call('Administrator', { method: 'POST', url, payload: exp, headers: { 'x-transport-key': KEY_HEX } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json().created, { channels: 1, protocols: 4, groups: 0, devices: 3, commLines: 3, profileVersions: 0 });
      const before = await registryOf(h.t.db, h.box, h.projectId);
      const after = await registryOf(h.t.db, h.box, target);
      assert.deepEqual(after, before, 'the same registry, secrets compared in clear');
    });

    it('seals the whole file with a passphrase; the import opens it with the same passphrase only', async () => {
      const passphrase = 'correct horse battery staple';
      const r = await h.call('Administrator', { method: 'GET', url: `${base}/config?secrets=include`, headers: { 'x-export-passphrase': passphrase } });
      assert.equal(r.statusCode, 200, r.body);
      const sealed = r.json();
      assert.deepEqual(Object.keys(sealed), ['Sealed']);
      assert.equal(sealed.Sealed.format, 'hes-config-scrypt-aes256gcm-v1');
      for (const s of stored) assert.ok(!r.body.includes(s));
      assert.deepEqual((await events('SSET_SECRETS_EXPORT')).at(-1)?.params, { format: 'json', protection: 'passphrase', secrets: 7 });
      const xlsx = await h.call('Administrator', { method: 'GET', url: `${base}/devices/export?secrets=include`, headers: { 'x-export-passphrase': passphrase } });
      assert.deepEqual([xlsx.statusCode, xlsx.json().error.field], [400, 'headers.x-transport-key'], 'XLSX secrets are wrapped, never sealed');

      const target = await projectCopy('Sealed copy');
      const url = `/api/v1/projects/${target}/config`;
      const wrong = await h.call('Administrator', { method: 'POST', url, payload: sealed, headers: { 'x-export-passphrase': 'not the passphrase' } });
      assert.deepEqual([wrong.statusCode, wrong.json().error.code, wrong.json().error.field], [400, 'PASSPHRASE_MISMATCH', 'headers.x-export-passphrase']);
      const none = await h.call('Administrator', { method: 'POST', url, payload: sealed });
      assert.deepEqual([none.statusCode, none.json().error.code], [400, 'PASSPHRASE_REQUIRED']);
      const ok = await h.call('Administrator', { method: 'POST', url, payload: sealed, headers: { 'x-export-passphrase': passphrase } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual((await registryOf(h.t.db, h.box, target)).protocols, (await registryOf(h.t.db, h.box, h.projectId)).protocols);
    });

    it('round-trips placeholders: re-importing the default export changes nothing and keeps the stored secrets', async () => {
      const before = await registryOf(h.t.db, h.box, h.projectId);
      const exp = (await h.call('Operator', { method: 'GET', url: `${base}/config` })).json();
      const r = await h.call('Operator', { method: 'POST', url: `${base}/config`, payload: exp });
      assert.equal(r.statusCode, 200, r.body);
      const none = { channels: 0, protocols: 0, groups: 0, devices: 0, commLines: 0, profileVersions: 0 };
      assert.deepEqual(r.json(), { created: none, updated: none, unchanged: { channels: 1, protocols: 4, groups: 1, devices: 3, commLines: 3, profileVersions: 0 } });
      assert.deepEqual(await registryOf(h.t.db, h.box, h.projectId), before);
    });

    it('round-trips the demo project through its XLSX export: placeholders into the same project, wrapped secrets into an empty one', async () => {
      const before = await registryOf(h.t.db, h.box, h.projectId);
      const exp = await h.call('Operator', { method: 'GET', url: `${base}/devices/export` });
      assert.equal(exp.statusCode, 200);
      const text = exp.rawPayload.toString('latin1');
      for (const s of stored) assert.ok(!text.includes(s));
      const sheet = new ExcelJS.Workbook();
      await sheet.xlsx.load(exp.rawPayload as unknown as ArrayBuffer);
      const row = (sheet.worksheets[0].getRow(2).values as unknown[]).slice(1);
      assert.deepEqual([row[7], row[12], row[14], row[16], row[17], row[18]], [
        '', '{"authenticationKey":"{secretsSet}","encryptionKey":"{secretsSet}"}', String(WPORT_BASE), 'PROTO_MAP_SPODES_CE308_V12', 10, 2,
      ], 'no password (HLS), keys as placeholders, the wrapper port, the line as registered');
      const same = await h.call('Operator', { method: 'POST', url: `${base}/devices/import?update=true`, headers: { 'content-type': XLSX }, payload: exp.rawPayload });
      assert.equal(same.statusCode, 200, same.body);
      assert.deepEqual([same.json().updated, same.json().unchanged], [{ devices: 0, channels: 0, protocols: 0 }, { devices: 3, channels: 1, protocols: 3 }]);
      assert.deepEqual(await registryOf(h.t.db, h.box, h.projectId), before);

      const wrapped = await h.call('Administrator', { method: 'GET', url: `${base}/devices/export?secrets=include`, headers: { 'x-transport-key': KEY_HEX } });
      assert.equal(wrapped.statusCode, 200);
      assert.deepEqual((await events('SSET_SECRETS_EXPORT')).at(-1)?.params, { format: 'xlsx', protection: 'key-wrap', secrets: 6 });
      const target = await projectCopy('XLSX copy');
      const url = `/api/v1/projects/${target}/devices/import`;
      const wrong = await h.call('Administrator', { method: 'POST', url, headers: { 'content-type': XLSX, 'x-transport-key': randomBytes(32).toString('hex') }, payload: wrapped.rawPayload });
      assert.equal(wrong.statusCode, 422);
      assert.match(wrong.json().errors[0].message, /does not unwrap with this transport key/);
      const missing = await h.call('Administrator', { method: 'POST', url, headers: { 'content-type': XLSX }, payload: wrapped.rawPayload });
      assert.match(missing.json().errors[0].message, /send the transport key/);
      const ok = await h.call('Administrator', { method: 'POST', url, headers: { 'content-type': XLSX, 'x-transport-key': KEY_HEX }, payload: wrapped.rawPayload });
      assert.equal(ok.statusCode, 200, ok.body);
      const inXlsx = (r: Awaited<ReturnType<typeof registryOf>>) => ({ ...r, protocols: r.protocols.filter((p) => String(p.name).startsWith('DLMS ')) });
      assert.deepEqual(await registryOf(h.t.db, h.box, target), inXlsx(before), 'the same registry, keys compared in clear');
    });

    it('refuses a device twice in one file with the path of each; new comm-line ids re-import without stacking; counts say what changed', async () => {
      const exp = (await h.call('Operator', { method: 'GET', url: `${base}/config` })).json();
      const twice = structuredClone(exp);
      const copy = { ...structuredClone(twice.Groups[0].Devices[0]), Id: undefined, CommLines: [] };
      twice.Groups.push({ Name: 'Second group', Devices: [copy] });
      const dup = await h.call('Operator', { method: 'POST', url: `${base}/config`, payload: twice });
      assert.deepEqual([dup.statusCode, dup.json().error.code, dup.json().error.field], [400, 'DUPLICATE_IN_FILE', 'body.Groups[1].Devices[0].SerialNumber']);
      assert.match(dup.json().error.message, /\/Groups\/1\/Devices\/0 and \/Groups\/0\/Devices\/0/);
      const sameName = structuredClone(exp);
      sameName.Channels.push({ ...sameName.Channels[0], Id: undefined });
      const dupChannel = await h.call('Operator', { method: 'POST', url: `${base}/config`, payload: sameName });
      assert.deepEqual([dupChannel.statusCode, dupChannel.json().error.field], [400, 'body.Channels[1].Name']);

      const before = await registryOf(h.t.db, h.box, h.projectId);
      const fresh = structuredClone(exp);
      for (const d of fresh.Groups[0].Devices) for (const l of d.CommLines) l.Id = crypto.randomUUID();
      fresh.Groups[0].Devices[0].CommLines[0].Attempts = 5;
      fresh.Groups[0].Devices[1].Enabled = false;
      const r = await h.call('Operator', { method: 'POST', url: `${base}/config`, payload: fresh });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().created, { channels: 0, protocols: 0, groups: 0, devices: 0, commLines: 0, profileVersions: 0 }, 'the same device × channel × protocol × address is the same comm line');
      assert.deepEqual([r.json().updated.commLines, r.json().unchanged.commLines, r.json().updated.devices, r.json().unchanged.devices], [1, 2, 1, 2]);
      const after = await registryOf(h.t.db, h.box, h.projectId);
      assert.equal(after.commLines.length, before.commLines.length);
      assert.equal(after.commLines[0].attempts, 5);
      // Back as it was, for the tests that follow.
      assert.equal((await h.call('Operator', { method: 'POST', url: `${base}/config`, payload: exp })).statusCode, 200);
      assert.deepEqual(await registryOf(h.t.db, h.box, h.projectId), before);
    });
  });
}

describe('Export.Secrets', () => {
  it('a registry migrated from before it gets the permission for its built-in Administrator only', async () => {
    const { openTestDb } = await import('../../registry/testing.js');
    const { migrate } = await import('../../registry/migrate.js');
    const t = await openTestDb('pglite', { seed: false });
    try {
      await t.db.query(`INSERT INTO roles (name, builtin) VALUES ('Administrator', true), ('Project Manager', true)`);
      await t.db.query(`DELETE FROM role_permissions WHERE permission = 'Export.Secrets'`);
      await t.db.query(`DELETE FROM permissions WHERE name = 'Export.Secrets'`);
      await t.db.query('DELETE FROM schema_migrations WHERE version = 12');
      assert.deepEqual(await migrate(t.db), [12]);
      const holders = await t.db.query<{ name: string }>(`SELECT r.name FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE rp.permission = 'Export.Secrets'`);
      assert.deepEqual(holders.rows.map((r) => r.name), ['Administrator']);
    } finally {
      await t.drop();
    }
  });
});
