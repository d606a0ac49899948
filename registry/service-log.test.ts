/** The service log writer: batched inserts off the caller's path, retention, bursts summed into one entry. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { BurstLog, ServiceLog, type ServiceLogWriter } from './service-log.js';

const DAY = 86_400_000;

for (const engine of ENGINES) {
  describe(`service log (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(engine);
    });
    after(() => t.drop());
    const rows = async () => (await t.db.query<{ app: string; level: string; logger: string; message: string; details: Record<string, unknown> }>(
      'SELECT app, level, logger, message, details FROM service_logs ORDER BY id',
    )).rows;

    it('queues entries and writes them in one batch; a write never waits for the database', async () => {
      await t.db.query('DELETE FROM service_logs');
      const log = new ServiceLog(t.db, { retentionDays: 30, flushMs: 60_000 });
      log.write('info', 'api', 'role', 'API listening', { url: 'http://127.0.0.1:1' });
      log.write('error', 'cenc', 'connector', 'CENC: "quoted" message');
      assert.deepEqual(await rows(), [], 'nothing written before the flush');
      await log.close();
      assert.deepEqual(await rows(), [
        { app: 'api', level: 'info', logger: 'role', message: 'API listening', details: { url: 'http://127.0.0.1:1' } },
        { app: 'cenc', level: 'error', logger: 'connector', message: 'CENC: "quoted" message', details: {} },
      ]);
    });

    it('keeps at most maxQueued entries while the database does not answer, and says how many it dropped', async () => {
      await t.db.query('DELETE FROM service_logs');
      const log = new ServiceLog(t.db, { retentionDays: 30, flushMs: 60_000, maxQueued: 2 });
      for (let i = 0; i < 5; i++) log.write('warning', 'pipeline', 'consumer', `entry ${i}`);
      await log.close();
      assert.deepEqual((await rows()).map((r) => r.message), ['entry 3', 'entry 4', '3 service log entries dropped (the registry did not answer)']);
    });

    it('prunes the entries older than the retention', async () => {
      await t.db.query('DELETE FROM service_logs');
      const now = Date.now();
      const log = new ServiceLog(t.db, { retentionDays: 7, now: () => now });
      await t.db.query(`INSERT INTO service_logs (at, app, level, message) VALUES ($1, 'api', 'info', 'old'), ($2, 'api', 'info', 'kept')`, [
        new Date(now - 8 * DAY).toISOString(), new Date(now - 6 * DAY).toISOString(),
      ]);
      assert.equal(await log.prune(), 1);
      assert.deepEqual((await rows()).map((r) => r.message), ['kept']);
      await log.close();
    });
  });
}

describe('BurstLog', () => {
  it('sums a burst by reason into one entry per window', () => {
    const written: Parameters<ServiceLogWriter['write']>[] = [];
    const burst = new BurstLog({ write: (...a) => void written.push(a) }, { level: 'warning', app: 'pipeline', logger: 'dead-letters', what: 'frames sent to hes.frames.dlq' });
    for (let i = 0; i < 1000; i++) burst.add('decode dlms DLMS_ERR_TAG');
    burst.add('envelope', 2);
    assert.deepEqual(written, [], 'nothing before the window ends');
    burst.flush();
    burst.flush();
    assert.deepEqual(written, [['warning', 'pipeline', 'dead-letters', '1002 frames sent to hes.frames.dlq in 60 s', { total: 1002, byReason: { 'decode dlms DLMS_ERR_TAG': 1000, envelope: 2 } }]]);
  });
});
