/**
 * What the meter readers (DLMS, M-Bus) keep of the registry's slowly changing data: archive retention and
 * device profiles change only with an administrator's edit or a new HES version, so each is loaded once (a
 * promise, so that concurrent opens share one query) and again after a minute; a failed load is not kept.
 */
import type { Db } from '../registry/db.js';

interface Loaded {
  at: number;
  retention?: Promise<ReadonlyMap<string, number>>;
  profiles: Map<string, Promise<Record<string, unknown> | null>>;
}

export class ReaderRegistryCache {
  #loaded: Loaded | undefined;

  constructor(private readonly db: Db, private readonly now: () => number) {}

  #fresh(): Loaded {
    const now = this.now();
    if (!this.#loaded || now - this.#loaded.at > 60_000) this.#loaded = { at: now, profiles: new Map() };
    return this.#loaded;
  }

  /** Retention depth in days per archive (0 = never purge), for the frames' decoding context. */
  retentionDays(): Promise<ReadonlyMap<string, number>> {
    const cache = this.#fresh();
    if (!cache.retention) {
      const loading = this.db.query<{ id: string; days: number }>(
        `SELECT id, CASE WHEN never_purge THEN 0 ELSE least(ceil(retention_seconds / 86400.0), 65535)::int END AS days FROM archives`,
      ).then((q) => new Map(q.rows.map((a) => [a.id, Number(a.days)])));
      cache.retention = loading;
      loading.catch(() => {
        if (cache.retention === loading) cache.retention = undefined;
      });
    }
    return cache.retention;
  }

  /** A device profile's body by id; null when there is none. The caller reads the sections of its protocol. */
  profile<T = Record<string, unknown>>(id: string): Promise<T | null> {
    const { profiles } = this.#fresh();
    let p = profiles.get(id);
    if (!p) {
      p = this.db.query<{ body: Record<string, unknown> }>('SELECT body FROM device_profiles WHERE id = $1', [id]).then((q) => q.rows[0]?.body ?? null);
      profiles.set(id, p);
      p.catch(() => profiles.delete(id));
    }
    return p as Promise<T | null>;
  }
}
