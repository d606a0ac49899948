/**
 * The console's REST client. Its types come from the API's own OpenAPI document (schema.gen.ts, generated
 * at build time by openapi-typescript): a path template names the operation, and its path parameters,
 * query and 2xx reply are typed from there.
 */
import type { components, paths } from './schema.gen';

export type Schemas = components['schemas'];

type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : unknown;
type Reply<Op> = Op extends { responses: infer R } ? (R extends { 200: infer A } ? JsonOf<A> : R extends { 201: infer B } ? JsonOf<B> : unknown) : unknown;
type Params<Op> = Op extends { parameters: infer P } ? P : never;
type QueryOf<Op> = Params<Op> extends { query?: infer Q } ? NonNullable<Q> : never;
type BodyOf<Op> = Op extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;
type Op<P extends keyof paths, M extends string> = M extends keyof paths[P] ? paths[P][M] : never;

export type Path = keyof paths;
export type GetReply<P extends Path> = Reply<Op<P, 'get'>>;
export type GetQuery<P extends Path> = QueryOf<Op<P, 'get'>>;

/** An answer other than 2xx, with the API's coded error (and the field it names, when it does). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly problems: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

interface Call {
  path?: Record<string, string | number>;
  query?: Record<string, unknown>;
  body?: unknown;
  raw?: Blob;
}

let token = '';
let onExpired: () => void = () => {};

export function setToken(value: string): void {
  token = value;
}

/** Called once when the API refuses the token (expired or revoked): the app signs out with a message. */
export function onTokenExpired(handler: () => void): void {
  onExpired = handler;
}

/** The URL of an operation, for links that download (exports, templates, error workbooks). */
export function url(template: string, call: Pick<Call, 'path' | 'query'> = {}): string {
  let u = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(call.path?.[name] ?? '')));
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined && v !== '' && v !== null) q.set(k, String(v));
  const qs = q.toString();
  if (qs) u += '?' + qs;
  return u;
}

async function request(method: string, template: string, call: Call, accept = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (call.raw) {
    body = call.raw;
    headers['content-type'] = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  } else if (call.body !== undefined) {
    body = JSON.stringify(call.body);
    headers['content-type'] = 'application/json';
  }
  const r = await fetch(url(template, call), { method, headers, body });
  if (r.ok) return r;
  let err: { code?: string; message?: string; field?: string } = {};
  let problems: { field: string; message: string }[] = [];
  try {
    const j = (await r.json()) as { error?: typeof err; problems?: typeof problems };
    err = j.error ?? {};
    problems = j.problems ?? [];
  } catch {
    // not JSON: the status says enough
  }
  if (r.status === 401 && token && !template.endsWith('/auth/login')) onExpired();
  throw new ApiError(r.status, err.code ?? `HTTP_${r.status}`, err.message ?? r.statusText, err.field, problems);
}

async function json<T>(r: Response): Promise<T> {
  const text = await r.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export const api = {
  async get<P extends Path>(path: P, call: { path?: Record<string, string>; query?: GetQuery<P> } = {}): Promise<GetReply<P>> {
    return json(await request('GET', path, call as Call));
  },
  async post<P extends Path>(path: P, call: { path?: Record<string, string>; body?: BodyOf<Op<P, 'post'>>; raw?: Blob; query?: Record<string, unknown> } = {}): Promise<Reply<Op<P, 'post'>>> {
    return json(await request('POST', path, call as Call));
  },
  async put<P extends Path>(path: P, call: { path?: Record<string, string>; body?: BodyOf<Op<P, 'put'>> } = {}): Promise<Reply<Op<P, 'put'>>> {
    return json(await request('PUT', path, call as Call));
  },
  async patch<P extends Path>(path: P, call: { path?: Record<string, string>; body?: BodyOf<Op<P, 'patch'>> } = {}): Promise<Reply<Op<P, 'patch'>>> {
    return json(await request('PATCH', path, call as Call));
  },
  async delete<P extends Path>(path: P, call: { path?: Record<string, string> } = {}): Promise<void> {
    await request('DELETE', path, call as Call);
  },
  /** A text reply (exchange logs). */
  async text(template: string, call: Pick<Call, 'path' | 'query'>): Promise<string> {
    return (await request('GET', template, call, 'text/plain')).text();
  },
  /** A file (XLSX, CSV) with the bearer token, saved by the browser. */
  async download(template: string, call: Pick<Call, 'path' | 'query'>, fileName: string): Promise<void> {
    const blob = await (await request('GET', template, call, '*/*')).blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  },
};
