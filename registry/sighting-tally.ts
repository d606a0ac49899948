/**
 * Frames of devices nobody registered (unknown wM-Bus meters, unknown LoRaWAN devices): summed in memory per
 * device and written in one statement every few seconds, so a gateway repeating an unknown device costs a map
 * update, not a registry write per frame.
 */
import type { Db } from './db.js';

export type Tallied<S> = S & { projectId: string; first: number; count: number };

export abstract class SightingTally<S extends { at: number }> {
  #pending = new Map<string, Tallied<S>>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(protected readonly db: Db, private readonly o: { flushMs?: number; onError?: (e: unknown) => void } = {}) {}

  /** What makes two sightings the same device. */
  protected abstract keyOf(s: S): string;
  /** Takes the figures of a sighting newer than the tally's (the last gateway, signal, counter…). */
  protected abstract takeNewer(t: Tallied<S>, s: S): void;
  /** Adds a batch to the registry in one statement: counts add up, first/last seen widen. */
  protected abstract write(batch: Tallied<S>[]): Promise<void>;

  record(projectId: string, s: S): void {
    const key = `${projectId}|${this.keyOf(s)}`;
    const t = this.#pending.get(key);
    if (t) {
      t.count++;
      if (s.at >= t.at) {
        t.at = s.at;
        this.takeNewer(t, s);
      }
      t.first = Math.min(t.first, s.at);
    } else this.#pending.set(key, { ...s, projectId, first: s.at, count: 1 });
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch((e) => this.o.onError?.(e));
    }, this.o.flushMs ?? 5_000);
  }

  /** Writes what was counted since the last flush; flushes run one after another. */
  flush(): Promise<void> {
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    this.#flushing = this.#flushing.then(() => (batch.length ? this.write(batch) : undefined));
    return this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
