/**
 * Invocation counters in the registry (table `invocation_counters`): what ingest/session's
 * InvocationCounterStore persists per device and key, so a restarted HES never reuses a counter value with a
 * meter's key. A save never lowers the stored counter (a late save of an older session loses).
 */
import type { CounterState, InvocationCounterStore } from '../ingest/session/counters.js';
import type { Db } from '../registry/db.js';

export class RegistryInvocationCounterStore implements InvocationCounterStore {
  constructor(private readonly db: Db) {}

  async load(deviceId: string, keyId: string): Promise<CounterState | undefined> {
    const r = await this.db.query<{ invocationCounter: number; replayGuard: CounterState['replayGuard'] | null }>(
      'SELECT invocation_counter AS "invocationCounter", replay_guard AS "replayGuard" FROM invocation_counters WHERE device_id = $1 AND key_id = $2',
      [deviceId, keyId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return { invocationCounter: Number(row.invocationCounter), ...(row.replayGuard ? { replayGuard: row.replayGuard } : {}) };
  }

  async save(deviceId: string, keyId: string, state: CounterState): Promise<void> {
    await this.db.query(
      `INSERT INTO invocation_counters (device_id, key_id, invocation_counter, replay_guard) VALUES ($1, $2, $3, $4)
       ON CONFLICT (device_id, key_id) DO UPDATE SET invocation_counter = EXCLUDED.invocation_counter, replay_guard = EXCLUDED.replay_guard, updated_at = now()
       WHERE invocation_counters.invocation_counter <= EXCLUDED.invocation_counter`,
      [deviceId, keyId, state.invocationCounter, state.replayGuard ? JSON.stringify(state.replayGuard) : null],
    );
  }
}
