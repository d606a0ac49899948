/**
 * Deduplication of LoRaWAN uplinks on (DevEUI, fCnt) that outlives the process (migration 0023): the ChirpStack
 * intake claims each uplink before putting it on the bus; a pair claimed within the window by any HES process,
 * before or after a restart, is a duplicate. Claims arriving together go to the registry in one statement.
 */
import type { Db } from './db.js';

export interface UplinkClaim {
  devEui: string;
  fCnt: number;
  deduplicationId: string;
  at: number;
}

interface Pending extends UplinkClaim {
  done: (first: boolean) => void;
  fail: (e: unknown) => void;
}

export class LorawanUplinkClaims {
  #pending: Pending[] = [];
  #scheduled = false;
  #lastPrune = 0;

  /** `windowMs`: how long a pair counts (ChirpStack's and MQTT's redeliveries come within minutes; a DevEUI's fCnt wraps far later). */
  constructor(private readonly db: Db, private readonly o: { windowMs?: number; pruneEveryMs?: number; now?: () => number } = {}) {}

  get windowMs(): number {
    return this.o.windowMs ?? 6 * 3_600_000;
  }

  /** true when this is the first time the pair is claimed within the window (the caller takes the uplink). */
  claim(c: UplinkClaim): Promise<boolean> {
    return new Promise((done, fail) => {
      this.#pending.push({ ...c, done, fail });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  /** Gives a claim back: the uplink did not reach the bus, its redelivery must be taken. */
  async release(devEui: string, fCnt: number, deduplicationId: string): Promise<void> {
    await this.db.query('DELETE FROM lorawan_uplinks_seen WHERE dev_eui = $1 AND f_cnt = $2 AND deduplication_id = $3', [devEui, fCnt, deduplicationId]);
  }

  /** The device joined again: its fCnt starts over, its old pairs say nothing. */
  async forget(devEui: string): Promise<void> {
    await this.db.query('DELETE FROM lorawan_uplinks_seen WHERE dev_eui = $1', [devEui]);
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    // The same pair twice in one batch: the first claims, the others are duplicates without asking.
    const first = new Map<string, Pending>();
    for (const p of batch) if (!first.has(`${p.devEui}|${p.fCnt}`)) first.set(`${p.devEui}|${p.fCnt}`, p);
    const claims = [...first.values()];
    try {
      const now = (this.o.now ?? Date.now)();
      const { rows } = await this.db.query<{ dev_eui: string; f_cnt: string }>(
        `INSERT INTO lorawan_uplinks_seen AS s (dev_eui, f_cnt, deduplication_id, seen_at)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[])
         ON CONFLICT (dev_eui, f_cnt) DO UPDATE SET deduplication_id = EXCLUDED.deduplication_id, seen_at = EXCLUDED.seen_at
           WHERE s.seen_at < $5::timestamptz
         RETURNING dev_eui, f_cnt`,
        [claims.map((c) => c.devEui), claims.map((c) => c.fCnt), claims.map((c) => c.deduplicationId), claims.map(() => new Date(now)), new Date(now - this.windowMs)],
      );
      // Before answering: a batch's callers see the registry pruned (once every few minutes, one indexed delete).
      if (now - this.#lastPrune >= (this.o.pruneEveryMs ?? 600_000)) {
        this.#lastPrune = now;
        await this.db.query('DELETE FROM lorawan_uplinks_seen WHERE seen_at < $1', [new Date(now - this.windowMs)]);
      }
      const taken = new Set(rows.map((r) => `${r.dev_eui}|${Number(r.f_cnt)}`));
      for (const p of batch) p.done(first.get(`${p.devEui}|${p.fCnt}`) === p && taken.has(`${p.devEui}|${p.fCnt}`));
    } catch (e) {
      for (const p of batch) p.fail(e);
    }
  }
}
