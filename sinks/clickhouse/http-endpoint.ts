/**
 * A ClickHouse HTTP interface served by chDB, so @clickhouse/client (the scale-out path) runs against
 * the same engine and SQL as embedded mode in tests. Implements what the client uses: `GET /ping`;
 * POST/GET with the statement in `query=` or the body; for `INSERT ... FORMAT F` in `query=`, the body
 * is the data; `param_<name>` query parameters; `database`, `default_format`, `query_id`; any other URL
 * parameter is a setting; gzip request bodies and responses (`enable_http_compression=1`); errors as
 * HTTP 500 with "Code: N. DB::Exception: ..." and X-ClickHouse-Exception-Code. With credentials, every request
 * but `/ping` must carry them as ClickHouse clients send them (HTTP basic authentication, X-ClickHouse-User and
 * X-ClickHouse-Key headers, or `user`/`password` URL parameters); others get 401 and code 516.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Session } from 'chdb';

const CLIENT_PARAMS = new Set(['query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check', 'user', 'password', 'compress', 'decompress']);

export interface ChdbHttpEndpoint {
  url: string;
  close(): Promise<void>;
}

export interface HttpCredentials {
  user: string;
  password: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The user and password a request carries, the ways ClickHouse clients send them. */
function presented(req: IncomingMessage, url: URL): { user: string; password: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  if (basic) {
    const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    return colon < 0 ? { user: text, password: '' } : { user: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  const header = (name: string) => (typeof req.headers[name] === 'string' ? req.headers[name] : undefined);
  return {
    user: header('x-clickhouse-user') ?? url.searchParams.get('user') ?? 'default',
    password: header('x-clickhouse-key') ?? url.searchParams.get('password') ?? '',
  };
}

export async function startChdbHttpEndpoint(session: Session, port = 0, host = '127.0.0.1', credentials?: HttpCredentials): Promise<ChdbHttpEndpoint> {
  // Compared as digests, in constant time: the length of the configured password does not leak either.
  const expected = credentials && Buffer.concat([digest(credentials.user), digest(credentials.password)]);
  const spool = join(tmpdir(), `hes-chdb-http-${process.pid}-${randomUUID().slice(0, 8)}`);
  mkdirSync(spool, { recursive: true });
  // chDB runs one statement at a time per session; queue requests so SET/reset pairs never interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const server: Server = createServer((req, res) => {
    if (expected && !authorised(req, expected)) {
      req.resume();
      res.statusCode = 401;
      res.setHeader('X-ClickHouse-Exception-Code', '516');
      res.end('Code: 516. DB::Exception: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n');
      return;
    }
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const work = queue.then(() => handle(session, spool, req, Buffer.concat(body), res));
      queue = work.catch(() => {});
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      rmSync(spool, { recursive: true, force: true });
    },
  };
}

function authorised(req: IncomingMessage, expected: Buffer): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/ping') return true;
  const { user, password } = presented(req, url);
  return timingSafeEqual(Buffer.concat([digest(user), digest(password)]), expected);
}

async function handle(session: Session, spool: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
    res.end('Ok.\n');
    return;
  }
  const queryId = url.searchParams.get('query_id') ?? randomUUID();
  const settings: string[] = [];
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k.startsWith('param_')) params[k.slice(6)] = v;
    else if (!CLIENT_PARAMS.has(k) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) settings.push(`${k} = '${v.replace(/[\\']/g, '\\$&')}'`);
  }
  const compressResponse = url.searchParams.get('enable_http_compression') === '1' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  let file: string | undefined;
  try {
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    let sql = url.searchParams.get('query');
    if (sql === null) sql = body.toString('utf8');
    else if (body.length) {
      const insert = /^\s*INSERT\s+INTO\s+(.+?)\s+FORMAT\s+(\w+)\s*$/is.exec(sql);
      if (!insert) sql = `${sql}\n${body.toString('utf8')}`;
      else {
        file = join(spool, `${randomUUID()}.data`);
        writeFileSync(file, body);
        sql = `INSERT INTO ${insert[1]} FROM INFILE '${file}' FORMAT ${insert[2]}`;
      }
    }
    const database = url.searchParams.get('database');
    if (database && database !== 'default') sql = `USE ${database.replace(/[^A-Za-z0-9_]/g, '')}; ${sql}`;
    const format = url.searchParams.get('default_format') ?? 'TabSeparated';
    for (const s of settings) await session.queryAsync(`SET ${s}`);
    let result;
    try {
      result = Object.keys(params).length ? await session.queryBindAsync(sql, params, { format }) : await session.queryAsync(sql, { format });
    } finally {
      for (const s of settings) await session.queryAsync(`SET ${s.slice(0, s.indexOf(' '))} = DEFAULT`).catch(() => {});
    }
    const bytes = Buffer.from(result.bytes());
    res.setHeader('X-ClickHouse-Query-Id', queryId);
    res.setHeader('X-ClickHouse-Format', format);
    res.setHeader('X-ClickHouse-Summary', JSON.stringify({ read_rows: String(result.rowsRead), read_bytes: String(result.bytesRead), elapsed_ns: String(Math.round(result.elapsed * 1e9)) }));
    res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
    if (compressResponse) {
      res.setHeader('Content-Encoding', 'gzip');
      res.end(gzipSync(bytes));
    } else res.end(bytes);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const code = /Code: (\d+)/.exec(message)?.[1] ?? '1000';
    res.statusCode = 500;
    res.setHeader('X-ClickHouse-Query-Id', queryId);
    res.setHeader('X-ClickHouse-Exception-Code', code);
    res.end(message.startsWith('Code:') ? `${message}\n` : `Code: ${code}. DB::Exception: ${message}\n`);
  } finally {
    if (file) rmSync(file, { force: true });
  }
}
