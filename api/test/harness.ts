/** Test support: an API over a fresh registry on one engine, and signed-in users of every default role. */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../app.js';
import { openTestDb, type Engine, type TestDb } from '../../registry/testing.js';
import { SecretBox, hashPassword } from '../../registry/crypto.js';
import { createApiToken } from '../../registry/accounts.js';
import { createProject } from '../../registry/project-data.js';
import type { ClickHouseEngine } from '../../sinks/clickhouse/engine.js';
import type { Db } from '../../registry/db.js';
import type { LorawanIntake } from '../../ingest/chirpstack/intake.js';
import type { UnbStationService } from '../../ingest/unb/service.js';
import { guardSerialization } from './serialization-guard.js';

export interface Harness {
  app: FastifyInstance;
  t: TestDb;
  box: SecretBox;
  /** Authorization headers per role name. */
  as: Record<string, { authorization: string }>;
  projectId: string;
  call(role: string | null, opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** A new role with exactly these permissions and a signed-in member of the project holding it; `call(name, …)` then works. */
  addRole(name: string, permissions: string[]): Promise<void>;
  close(): Promise<void>;
}

export const ROLES = ['Administrator', 'Operator', 'User', 'Project Manager', 'M2M', 'Subscriber'] as const;
export const PASSWORD = 'Test-pass1';

export async function startHarness(engine: Engine, config: { loginMaxFailures?: number; clickhouse?: ClickHouseEngine; lorawan?: (db: Db) => LorawanIntake; unb?: (db: Db, box: SecretBox) => UnbStationService } = {}): Promise<Harness> {
  const t = await openTestDb(engine);
  const box = new SecretBox(Buffer.alloc(32, 7));
  const app = await buildApp({
    db: t.db, box,
    config: { accessTokenTtl: 900, refreshTokenTtl: 3600, loginMaxFailures: config.loginMaxFailures ?? 5, loginLockSeconds: 60, logLevel: 'silent' },
    clickhouse: config.clickhouse,
    ...(config.lorawan ? { lorawan: ((intake) => () => intake)(config.lorawan(t.db)) } : {}),
    ...(config.unb ? { unb: ((service) => () => service)(config.unb(t.db, box)) } : {}),
  });
  const lost = guardSerialization(app);
  const project = await createProject(t.db, { name: 'Main' }, null);
  const projectId = String(project.id);
  const as: Harness['as'] = {};
  const hash = await hashPassword(PASSWORD);
  const signIn = async (role: string) => {
    const username = 'u-' + role.toLowerCase().replace(/ /g, '-');
    const m2m = role === 'M2M';
    const u = await t.db.query<{ id: string }>(
      `INSERT INTO users (username, role_id, m2m, password_hash) SELECT $1, id, $2, $3 FROM roles WHERE name = $4 RETURNING id`,
      [username, m2m, m2m ? null : hash, role],
    );
    await t.db.query('INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)', [projectId, u.rows[0].id]);
    let token: string;
    if (m2m) token = (await createApiToken(t.db, u.rows[0].id, 'test')).token;
    else {
      const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } });
      token = r.json().accessToken;
    }
    as[role] = { authorization: `Bearer ${token}` };
  };
  for (const role of ROLES) await signIn(role);
  return {
    app, t, box, as, projectId,
    call: (role, opts) => app.inject({ ...opts, headers: { ...(role ? as[role] : {}), ...(opts.headers ?? {}) } }),
    async addRole(name, permissions) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/roles', headers: as.Administrator, payload: { name, permissions } });
      if (r.statusCode !== 201) throw new Error(`role ${name}: ${r.body}`);
      await signIn(name);
    },
    async close() {
      await app.close();
      await t.drop();
      if (lost.length) throw new Error(`replies changed by their response schema:\n${lost.join('\n')}`);
    },
  };
}
