/**
 * Random bytes for HLS challenges, drawn from a pool: one node:crypto call per 4 KiB instead of one (≈ 5 µs)
 * per association. A refill takes a new pool, so bytes already handed out (views) are never overwritten
 * nor handed out twice.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
let pool = new Uint8Array(0);
let used = 0;

export function pooledRandomBytes(length: number): Uint8Array {
  if (length > POOL_SIZE / 4) return randomFillSync(new Uint8Array(length));
  if (used + length > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_SIZE));
    used = 0;
  }
  const out = pool.subarray(used, used + length);
  used += length;
  return out;
}
