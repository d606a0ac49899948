/**
 * HES configuration: defaults, then a JSON file, then environment variables, then explicit overrides
 * (command-line options). One object is handed to every part that starts (API, later scheduler/connectors).
 */
import { readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export interface HesConfig {
  /** Everything the embedded mode persists lives under this folder. */
  dataDir: string;
  httpHost: string;
  httpPort: number;
  /** PostgreSQL URL; absent → embedded PGlite in `<dataDir>/registry`. */
  databaseUrl?: string;
  /** 32-byte key (hex or base64) encrypting meter keys and passwords at rest. */
  masterKey?: string;
  /** Access token lifetime, seconds. */
  accessTokenTtl: number;
  /** Refresh token (session) lifetime, seconds. */
  refreshTokenTtl: number;
  /** Failed logins per user+IP before further attempts are refused for `loginLockSeconds`. */
  loginMaxFailures: number;
  loginLockSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const defaults: HesConfig = {
  dataDir: './hes-data',
  httpHost: '0.0.0.0',
  httpPort: 8080,
  accessTokenTtl: 900,
  refreshTokenTtl: 7 * 24 * 3600,
  loginMaxFailures: 5,
  loginLockSeconds: 300,
  logLevel: 'info',
};

const envNames: Record<string, keyof HesConfig> = {
  HES_DATA_DIR: 'dataDir',
  HES_HTTP_HOST: 'httpHost',
  HES_HTTP_PORT: 'httpPort',
  HES_DATABASE_URL: 'databaseUrl',
  HES_MASTER_KEY: 'masterKey',
  HES_ACCESS_TOKEN_TTL: 'accessTokenTtl',
  HES_REFRESH_TOKEN_TTL: 'refreshTokenTtl',
  HES_LOGIN_MAX_FAILURES: 'loginMaxFailures',
  HES_LOGIN_LOCK_SECONDS: 'loginLockSeconds',
  HES_LOG_LEVEL: 'logLevel',
};
const numeric = new Set<keyof HesConfig>(['httpPort', 'accessTokenTtl', 'refreshTokenTtl', 'loginMaxFailures', 'loginLockSeconds']);

export class ConfigError extends Error {}

function coerce(key: keyof HesConfig, value: unknown, origin: string): unknown {
  if (!numeric.has(key)) return String(value);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${origin}: ${key} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

export interface LoadOptions {
  /** JSON file; default `$HES_CONFIG` when set. A missing explicit file is an error. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<HesConfig>;
}

export function loadConfig(opts: LoadOptions = {}): HesConfig {
  const env = opts.env ?? process.env;
  const out: Record<string, unknown> = { ...defaults };
  const file = opts.file ?? env.HES_CONFIG;
  if (file) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed)) {
      if (!(k in defaults) && k !== 'databaseUrl' && k !== 'masterKey') throw new ConfigError(`${file}: unknown setting "${k}"`);
      out[k] = coerce(k as keyof HesConfig, v, file);
    }
  }
  for (const [name, key] of Object.entries(envNames)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = coerce(key, v, name);
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) out[k] = coerce(k as keyof HesConfig, v, 'option');
  const cfg = out as unknown as HesConfig;
  cfg.dataDir = resolve(cfg.dataDir);
  if (cfg.httpPort > 65535) throw new ConfigError(`httpPort must be at most 65535, got ${cfg.httpPort}`);
  return cfg;
}

/**
 * The master key as 32 bytes. Without one configured, embedded mode keeps a generated key in
 * `<dataDir>/master.key` (mode 0600) so that a single-node install needs no setup.
 */
export function masterKeyBytes(cfg: HesConfig): Buffer {
  if (cfg.masterKey) return parseKey(cfg.masterKey);
  const path = join(cfg.dataDir, 'master.key');
  if (existsSync(path)) return parseKey(readFileSync(path, 'utf8').trim());
  mkdirSync(cfg.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

function parseKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError('master key must be 32 bytes (64 hex digits or base64)');
  return key;
}
