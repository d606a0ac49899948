/**
 * What the meter readers (DLMS, M-Bus) keep of the registry's slowly changing data: archive retention changes
 * only with an administrator's edit, and a device profile version never changes, so each is loaded once (a
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

  /**
   * A version of a device profile (null: the latest) by id; null when there is none. A version never changes,
   * so a new version is a new entry: the launches that resolved it at their start read it, the older ones keep theirs.
   * The caller reads the sections of its protocol.
   */
  profile<T = Record<string, unknown>>(id: string, version: number | null): Promise<T | null> {
    const { profiles } = this.#fresh();
    const key = `${id}@${version ?? 'latest'}`;
    let p = profiles.get(key);
    if (!p) {
      p = this.db.query<{ body: Record<string, unknown> }>(
        'SELECT v.body FROM device_profile_versions v JOIN device_profiles p ON p.id = v.profile_id WHERE p.id = $1 AND v.version = coalesce($2, p.version)',
        [id, version],
      ).then((q) => q.rows[0]?.body ?? null);
      profiles.set(key, p);
      p.catch(() => profiles.delete(key));
    }
    return p as Promise<T | null>;
  }
}
