/**
 * The intakes' directories (registry/wmbus.ts: a project's wM-Bus meters; registry/lorawan.ts: a ChirpStack
 * application's devices) share this shape: an entry loaded per key in one query, used for `ttlMs` (an edit
 * applies after that), one load at a time per key, and a name the entry lacks reloads it sooner — at most every
 * `missReloadMs`, so a stream of telegrams of unregistered meters does not become a stream of queries.
 */
export interface DirectoryCacheOptions {
  /** How long a loaded entry is used (default 60 s). */
  ttlMs?: number;
  /** A miss reloads the entry at most this often (default 10 s). */
  missReloadMs?: number;
  now?: () => number;
}

interface Entry<V> {
  at: number;
  missAt: number;
  value: V;
  loading?: Promise<Entry<V>>;
}

export class DirectoryCache<V> {
  readonly #entries = new Map<string, Entry<V>>();

  constructor(private readonly loadEntry: (key: string) => Promise<V>, private readonly o: DirectoryCacheOptions = {}) {}

  get #now(): number {
    return (this.o.now ?? Date.now)();
  }

  async #load(key: string): Promise<Entry<V>> {
    const value = await this.loadEntry(key);
    const now = this.#now;
    return { at: now, missAt: now, value };
  }

  async #entry(key: string, reload = false): Promise<Entry<V>> {
    let e = this.#entries.get(key);
    if (e && !reload && this.#now - e.at <= (this.o.ttlMs ?? 60_000)) return e;
    if (e?.loading) return e.loading;
    const loading = this.#load(key);
    if (e) e.loading = loading;
    try {
      e = await loading;
      this.#entries.set(key, e);
      return e;
    } finally {
      const cur = this.#entries.get(key);
      if (cur?.loading === loading) delete cur.loading;
    }
  }

  /** The key's entry, loaded when absent or expired. */
  async get(key: string): Promise<V> {
    return (await this.#entry(key)).value;
  }

  /** `find` in the key's entry; a miss reloads the entry (throttled) and looks again. */
  async lookup<T>(key: string, find: (value: V) => T | undefined): Promise<{ value: V; found: T | undefined }> {
    let e = await this.#entry(key);
    const hit = find(e.value);
    if (hit !== undefined || this.#now - e.missAt < (this.o.missReloadMs ?? 10_000)) return { value: e.value, found: hit };
    e.missAt = this.#now;
    e = await this.#entry(key, true);
    return { value: e.value, found: find(e.value) };
  }
}
