/** Migrations and first-start data on both engines; password hashing, secret sealing, the password rule; configuration. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { migrate, loadMigrations } from './migrate.js';
import { seed } from './seed.js';
import { SecretBox, hashPassword, verifyPassword } from './crypto.js';
import { checkPasswordRule } from './password-rule.js';
import { loadConfig, ConfigError } from '../config/index.js';

for (const engine of ENGINES) {
  describe(`registry schema (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(engine);
    });
    after(() => t.drop());

    it('applies every migration once, in order; a second run and a second seed change nothing', async () => {
      const v = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(v.rows.map((r) => r.version), loadMigrations().map((m) => m.version));
      assert.deepEqual(await migrate(t.db), []);
      await seed(t.db);
      const users = await t.db.query<{ username: string; must_change_password: boolean }>('SELECT username, must_change_password FROM users ORDER BY username');
      assert.deepEqual(users.rows, [
        { username: 'admin', must_change_password: true }, { username: 'operator', must_change_password: true }, { username: 'user', must_change_password: true },
      ]);
      const archives = await t.db.query<{ kind: string; n: number }>('SELECT kind, count(*)::int AS n FROM archives GROUP BY kind ORDER BY kind');
      assert.deepEqual(archives.rows, [{ kind: 'event', n: 1 }, { kind: 'measurement', n: 8 }, { kind: 'state', n: 5 }]);
      const roles = await t.db.query<{ name: string }>('SELECT name FROM roles ORDER BY name');
      assert.deepEqual(roles.rows.map((r) => r.name), ['Administrator', 'M2M', 'Operator', 'Project Manager', 'Subscriber', 'User']);
    });

    it('enforces one default group per project and keeps rows of two projects apart in comm lines', async () => {
      const p = await t.db.query<{ id: string }>(`INSERT INTO projects (name) VALUES ('a'), ('b') RETURNING id`);
      const [a, b] = p.rows.map((r) => r.id);
      await t.db.query(`INSERT INTO device_groups (project_id, name, is_default) VALUES ($1, 'g1', true)`, [a]);
      await assert.rejects(t.db.query(`INSERT INTO device_groups (project_id, name, is_default) VALUES ($1, 'g2', true)`, [a]), { code: '23505' });
      const g = await t.db.query<{ id: string }>(`SELECT id FROM device_groups WHERE project_id = $1`, [a]);
      await assert.rejects(t.db.query(`INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, 's', 'CE207', $2)`, [b, g.rows[0].id]), { code: '23503' });
    });

    it('rolls back a failed transaction', async () => {
      await assert.rejects(t.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO projects (name) VALUES ('rolled back')`);
        throw new Error('boom');
      }));
      assert.equal((await t.db.query(`SELECT 1 FROM projects WHERE name = 'rolled back'`)).rows.length, 0);
    });
  });
}

describe('secrets', () => {
  it('hashes passwords with scrypt and verifies them', async () => {
    const h = await hashPassword('Secret-1');
    assert.notEqual(h, await hashPassword('Secret-1'), 'salted');
    assert.equal(await verifyPassword('Secret-1', h), true);
    assert.equal(await verifyPassword('Secret-2', h), false);
    assert.equal(await verifyPassword('Secret-1', null), false);
  });

  it('seals with AES-256-GCM bound to its use; tampering or another use fails', () => {
    const box = new SecretBox(Buffer.alloc(32, 3));
    const sealed = box.encrypt('000102030405060708090a0b0c0d0e0f', 'protocol:1');
    assert.equal(box.decrypt(sealed, 'protocol:1'), '000102030405060708090a0b0c0d0e0f');
    assert.throws(() => box.decrypt(sealed, 'protocol:2'));
    const parts = sealed.split('.');
    // Flip a bit of the first ciphertext byte: always a change (a fixed replacement byte is not, 1 time in 256).
    const ciphertext = Buffer.from(parts[3], 'base64url');
    ciphertext[0] ^= 1;
    parts[3] = ciphertext.toString('base64url');
    assert.throws(() => box.decrypt(parts.join('.'), 'protocol:1'));
    assert.throws(() => new SecretBox(Buffer.alloc(31)));
  });

  it('applies the password rule', () => {
    assert.equal(checkPasswordRule('abcde', 'u'), 'TOO_SHORT');
    assert.equal(checkPasswordRule('abcdef', 'u'), null);
    assert.equal(checkPasswordRule('a'.repeat(32), 'u'), null);
    assert.equal(checkPasswordRule('a'.repeat(33), 'u'), 'TOO_LONG');
    assert.equal(checkPasswordRule('tab\there', 'u'), 'BAD_CHARACTERS');
    assert.equal(checkPasswordRule('Admin1', 'admin1'), 'SAME_AS_USERNAME');
  });
});

describe('configuration', () => {
  it('layers defaults, environment and options', () => {
    const c = loadConfig({ env: { HES_HTTP_PORT: '9000', HES_DATA_DIR: '/tmp/x' }, overrides: { httpPort: 9100 } });
    assert.equal(c.httpPort, 9100);
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.databaseUrl, undefined);
    assert.throws(() => loadConfig({ env: { HES_HTTP_PORT: 'eighty' } }), ConfigError);
    assert.throws(() => loadConfig({ env: {}, overrides: { httpPort: 70000 } }), ConfigError);
  });
});
