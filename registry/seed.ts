/**
 * First-start data: the permission list, the default roles, the default accounts (only into an empty
 * user table, each forced to change its password), the default archives and the shipped device profiles.
 * Idempotent: runs at every start and never overwrites what an administrator changed.
 */
import type { Db } from './db.js';
import { PERMISSIONS, DEFAULT_ROLES, DEFAULT_ACCOUNTS } from './permissions.js';
import { DEFAULT_ARCHIVES } from './archives.js';
import { hashPassword } from './crypto.js';
import { seedBuiltinProfiles } from './profiles.js';

export async function seed(db: Db, opts: { defaultAccounts?: boolean } = {}): Promise<void> {
  await db.transaction(async (tx) => {
    for (const [name, description] of Object.entries(PERMISSIONS)) {
      await tx.query('INSERT INTO permissions (name, description) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description', [name, description]);
    }
    for (const role of DEFAULT_ROLES) {
      const r = await tx.query<{ id: string }>(
        'INSERT INTO roles (name, description, builtin) VALUES ($1, $2, true) ON CONFLICT DO NOTHING RETURNING id',
        [role.name, role.description],
      );
      if (r.rows.length) {
        await tx.query('INSERT INTO role_permissions (role_id, permission) SELECT $1, unnest($2::text[])', [r.rows[0].id, role.permissions]);
      }
    }
    const users = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    if (users.rows[0].n === 0 && opts.defaultAccounts !== false) {
      for (const a of DEFAULT_ACCOUNTS) {
        await tx.query(
          `INSERT INTO users (username, display_name, role_id, password_hash, must_change_password)
           SELECT $1, $1, id, $2, true FROM roles WHERE name = $3`,
          [a.username, await hashPassword(a.password), a.role],
        );
      }
    }
    for (const a of DEFAULT_ARCHIVES) {
      await tx.query(
        `INSERT INTO archives (id, kind, name, is_default, active, retention_seconds, settings) VALUES ($1, $2, $3, true, true, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [a.id, a.kind, a.name, a.retentionSeconds, JSON.stringify(a.settings)],
      );
    }
    await seedBuiltinProfiles(tx);
  });
}
