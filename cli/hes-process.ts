/**
 * The `hes` command as a child process, for the end-to-end test and the whole-HES benchmark: spawn a
 * subcommand (from dist/, or from the TypeScript sources through tsx when the caller runs under tsx),
 * wait for lines of its output, stop it; a small REST client; CPU and memory of a process from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface HesProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far. */
  readonly output: string;
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | string | null>;
  /** Resolves with the first match of `re` in the output; rejects when the process exits first or on timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`); resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string | null>;
}

/** Runs `hes <args>`; extra environment in `env`. */
export function spawnHes(args: string[], env: NodeJS.ProcessEnv = {}): HesProcess {
  const fromTs = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromTs ? './hes.ts' : './hes.js', import.meta.url));
  // Node flags for the children, e.g. HES_BENCH_CHILD_FLAGS="--cpu-prof" to profile the HES in a benchmark.
  const flags = process.env.HES_BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, ...(fromTs ? ['--import', 'tsx'] : []), entry, ...args], {
    env: { ...process.env, HES_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (b: Buffer) => {
    out += b.toString();
    // Keep memory bounded for long-running children (benchmarks): the head holds the banners.
    if (out.length > 1_000_000) out = out.slice(0, 200_000) + '\n…\n' + out.slice(-200_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    child,
    pid: child.pid!,
    exited,
    get output() {
      return out;
    },
    async waitFor(re, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`hes ${args[0]} exited (${child.exitCode ?? child.signalCode}) before ${re}:\n${out}`);
        if (Date.now() > until) throw new Error(`hes ${args[0]}: no ${re} within ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM', graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>, what: string) {
    super(`${what}: ${status} ${JSON.stringify(body)}`);
  }
}

/** A REST client of /api/v1 with one bearer token. */
export class HesClient {
  token = '';

  constructor(readonly base: string) {}

  /** JSON in, JSON out; a non-2xx answer throws ApiError. */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const r = await fetch(this.base + path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers },
    });
    const text = await r.text();
    let json: Record<string, unknown>;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { text };
    }
    if (!r.ok) throw new ApiError(r.status, json, `${method} ${path}`);
    return json as T;
  }

  get<T = Record<string, unknown>>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T = Record<string, unknown>>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** Signs in; a first sign-in that must change the password changes it to `newPassword` and signs in again. */
  async signIn(username: string, password: string, newPassword?: string): Promise<void> {
    const first = await this.call<{ accessToken: string; mustChangePassword?: boolean }>('POST', '/auth/login', { username, password });
    this.token = first.accessToken;
    if (!first.mustChangePassword) return;
    if (!newPassword) throw new Error(`${username} must change the password first`);
    await this.post('/auth/password', { currentPassword: password, newPassword });
    this.token = (await this.call<{ accessToken: string }>('POST', '/auth/login', { username, password: newPassword })).accessToken;
  }
}

/** Calls `fn` until `done(value)`; throws with the last value after `timeoutMs`. */
export async function poll<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000, intervalMs = 200, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface ProcessStats {
  /** user + system CPU, seconds. */
  cpuSeconds: number;
  rssBytes: number;
  /** Peak resident set (VmHWM). */
  peakRssBytes: number;
}

/** CPU and memory of a live Linux process (/proc/<pid>/stat and status). */
export function processStats(pid: number): ProcessStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ": utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  // USER_HZ is 100 on every Linux platform Node supports.
  return { cpuSeconds: ticks / 100, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** A loopback port that was free a moment ago (nothing listens on it when this returns). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
