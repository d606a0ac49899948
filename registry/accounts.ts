/** Users' credentials, sessions and API tokens. Tokens are random and stored only as SHA-256 hashes. */
import type { Db } from './db.js';
import { hashPassword, newToken, tokenHash, verifyPassword } from './crypto.js';
import { RegistryError } from './errors.js';
import { checkPasswordRule, passwordProblemText, PASSWORD_HISTORY } from './password-rule.js';

export interface AuthUser {
  id: string;
  username: string;
  enabled: boolean;
  m2m: boolean;
  mustChangePassword: boolean;
  passwordHash: string | null;
  permissions: string[];
  sessionId: string | null;
}

const userColumns = `u.id, u.username, u.enabled, u.m2m, u.must_change_password AS "mustChangePassword", u.password_hash AS "passwordHash",
  array(SELECT permission FROM role_permissions rp WHERE rp.role_id = u.role_id ORDER BY 1) AS permissions`;

export async function findUserByName(db: Db, username: string): Promise<AuthUser | undefined> {
  const r = await db.query<AuthUser>(`SELECT ${userColumns}, NULL::uuid AS "sessionId" FROM users u WHERE lower(u.username) = lower($1)`, [username]);
  return r.rows[0];
}

/** The user behind a bearer token: an access token of a live session, or an M2M API token. */
export async function authenticateToken(db: Db, token: string): Promise<AuthUser | undefined> {
  const hash = tokenHash(token);
  if (token.startsWith('hesa_')) {
    const r = await db.query<AuthUser>(
      `SELECT ${userColumns}, s.id AS "sessionId" FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.access_hash = $1 AND s.revoked_at IS NULL AND s.access_expires_at > now() AND s.expires_at > now()`,
      [hash],
    );
    return r.rows[0];
  }
  if (token.startsWith('hesm_')) {
    const r = await db.query<AuthUser>(
      `UPDATE api_tokens t SET last_used_at = now() FROM users u
       WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.m2m
       RETURNING ${userColumns}, NULL::uuid AS "sessionId"`,
      [hash],
    );
    return r.rows[0];
  }
  return undefined;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  sessionId: string;
}

export async function createSession(
  db: Db, userId: string, ctx: { ip: string; userAgent: string; accessTtl: number; refreshTtl: number },
): Promise<TokenPair> {
  const accessToken = newToken('hesa_');
  const refreshToken = newToken('hesr_');
  const r = await db.query<{ id: string }>(
    `INSERT INTO sessions (user_id, access_hash, access_expires_at, refresh_hash, expires_at, ip, user_agent)
     VALUES ($1, $2, now() + make_interval(secs => $3), $4, now() + make_interval(secs => $5), $6, $7) RETURNING id`,
    [userId, tokenHash(accessToken), ctx.accessTtl, tokenHash(refreshToken), ctx.refreshTtl, ctx.ip, ctx.userAgent.slice(0, 300)],
  );
  await db.query('UPDATE users SET last_login_at = now() WHERE id = $1', [userId]);
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ctx.accessTtl, sessionId: r.rows[0].id };
}

/** A rotated refresh token came back: its session (the token family) has been revoked. */
export interface RefreshReuse {
  reuse: { sessionId: string; userId: string; username: string };
}

/**
 * Rotates both tokens of a live session; the old refresh token stops working. Presenting a refresh token
 * the session has already rotated away from revokes the session (reuse detection) and answers a RefreshReuse.
 */
export async function refreshSession(db: Db, refreshToken: string, accessTtl: number): Promise<(TokenPair & { userId: string }) | RefreshReuse> {
  const presented = tokenHash(refreshToken);
  const accessToken = newToken('hesa_');
  const next = newToken('hesr_');
  return db.transaction(async (tx) => {
    const r = await tx.query<{ id: string; user_id: string }>(
      `UPDATE sessions s SET access_hash = $2, access_expires_at = now() + make_interval(secs => $3), refresh_hash = $4, last_seen_at = now()
       FROM users u WHERE s.refresh_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.id = s.user_id AND u.enabled
       RETURNING s.id, s.user_id`,
      [presented, tokenHash(accessToken), accessTtl, tokenHash(next)],
    );
    if (r.rows.length) {
      await tx.query('INSERT INTO rotated_refresh_tokens (refresh_hash, session_id) VALUES ($1, $2)', [presented, r.rows[0].id]);
      return { accessToken, refreshToken: next, tokenType: 'Bearer' as const, expiresIn: accessTtl, sessionId: r.rows[0].id, userId: r.rows[0].user_id };
    }
    const reused = await tx.query<{ sessionId: string; userId: string; username: string }>(
      `UPDATE sessions s SET revoked_at = coalesce(s.revoked_at, now()) FROM rotated_refresh_tokens t, users u
       WHERE t.refresh_hash = $1 AND s.id = t.session_id AND u.id = s.user_id
       RETURNING s.id AS "sessionId", s.user_id AS "userId", u.username`,
      [presented],
    );
    if (reused.rows.length) return { reuse: reused.rows[0] };
    throw new RegistryError('INVALID_REFRESH_TOKEN', 'refresh token is invalid, expired or revoked', 401, 'body.refreshToken');
  });
}

export async function listSessions(db: Db, userId: string) {
  const r = await db.query(
    `SELECT id, ip, user_agent AS "userAgent", created_at AS "createdAt", last_seen_at AS "lastSeenAt", expires_at AS "expiresAt"
     FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC`,
    [userId],
  );
  return r.rows;
}

export async function revokeSession(db: Db, userId: string, sessionId: string): Promise<void> {
  const r = await db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [sessionId, userId]);
  if (!r.rowCount) throw new RegistryError('NOT_FOUND', 'session not found', 404, 'params.sessionId');
}

export async function revokeAllSessions(db: Db, userId: string, except?: string | null): Promise<void> {
  await db.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2', [userId, except ?? null]);
}

/** Applies the password rule (length, characters, no reuse of the last PASSWORD_HISTORY) and stores the new hash. */
export async function setPassword(db: Db, userId: string, password: string, opts: { mustChange: boolean; field: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const u = await tx.query<{ username: string; password_hash: string | null }>('SELECT username, password_hash FROM users WHERE id = $1 FOR UPDATE', [userId]);
    if (!u.rows.length) throw new RegistryError('NOT_FOUND', 'user not found', 404);
    const problem = checkPasswordRule(password, u.rows[0].username);
    if (problem) throw new RegistryError(`PASSWORD_${problem}`, passwordProblemText[problem], 400, opts.field);
    const previous = await tx.query<{ password_hash: string }>(
      'SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY changed_at DESC LIMIT $2', [userId, PASSWORD_HISTORY],
    );
    const hashes = [u.rows[0].password_hash, ...previous.rows.map((r) => r.password_hash)];
    for (const h of hashes) {
      if (await verifyPassword(password, h)) throw new RegistryError('PASSWORD_REUSED', passwordProblemText.REUSED, 400, opts.field);
    }
    if (u.rows[0].password_hash) await tx.query('INSERT INTO password_history (user_id, password_hash) VALUES ($1, $2)', [userId, u.rows[0].password_hash]);
    await tx.query('UPDATE users SET password_hash = $2, must_change_password = $3, version = version + 1 WHERE id = $1', [
      userId, await hashPassword(password), opts.mustChange,
    ]);
  });
}

export async function createApiToken(db: Db, userId: string, name: string): Promise<{ id: string; token: string }> {
  const token = newToken('hesm_');
  const r = await db.query<{ id: string }>('INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3) RETURNING id', [userId, name, tokenHash(token)]);
  return { id: r.rows[0].id, token };
}

export async function listApiTokens(db: Db, userId: string) {
  const r = await db.query(
    `SELECT id, name, created_at AS "createdAt", last_used_at AS "lastUsedAt" FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at`,
    [userId],
  );
  return r.rows;
}

export async function revokeApiToken(db: Db, userId: string, tokenId: string): Promise<void> {
  const r = await db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [tokenId, userId]);
  if (!r.rowCount) throw new RegistryError('NOT_FOUND', 'API token not found', 404, 'params.tokenId');
}

/** Creates a user or, when it exists, resets its password (CLI). */
export async function upsertUser(
  db: Db, opts: { username: string; password: string; role: string; mustChange: boolean },
): Promise<'created' | 'reset'> {
  const role = await db.query<{ id: string }>('SELECT id FROM roles WHERE lower(name) = lower($1)', [opts.role]);
  if (!role.rows.length) throw new RegistryError('NOT_FOUND', `role "${opts.role}" does not exist`, 404, 'role');
  const existing = await findUserByName(db, opts.username);
  if (existing) {
    await setPassword(db, existing.id, opts.password, { mustChange: opts.mustChange, field: 'password' });
    await db.query('UPDATE users SET enabled = true WHERE id = $1', [existing.id]);
    await revokeAllSessions(db, existing.id);
    return 'reset';
  }
  const problem = checkPasswordRule(opts.password, opts.username);
  if (problem) throw new RegistryError(`PASSWORD_${problem}`, passwordProblemText[problem], 400, 'password');
  await db.query('INSERT INTO users (username, display_name, role_id, password_hash, must_change_password) VALUES ($1, $1, $2, $3, $4)', [
    opts.username, role.rows[0].id, await hashPassword(opts.password), opts.mustChange,
  ]);
  return 'created';
}
