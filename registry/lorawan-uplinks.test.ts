/** (DevEUI, fCnt) claims of the ChirpStack intake on both engines: once per window, across a restart, given back, cleared by a join. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { LorawanUplinkClaims } from './lorawan-uplinks.js';

const T = Date.UTC(2026, 11, 7, 12);
const HOUR = 3_600_000;

for (const engine of ENGINES) {
  describe(`LoRaWAN uplink claims (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await openTestDb(engine, { seed: false });
    });
    after(() => t.drop());

    it('a pair is claimed once — also by a new process (a restart) — until the window passes; released and joined devices are free again', async () => {
      let now = T;
      const claims = new LorawanUplinkClaims(t.db, { windowMs: HOUR, now: () => now });
      const claim = (c: LorawanUplinkClaims, devEui: string, fCnt: number, id = `${devEui}-${fCnt}`) => c.claim({ devEui, fCnt, deduplicationId: id, at: now });
      // Claims together go in one statement; the same pair twice in it: the first only.
      assert.deepEqual(await Promise.all([claim(claims, 'A', 1), claim(claims, 'A', 2), claim(claims, 'B', 1), claim(claims, 'A', 1, 'again')]), [true, true, true, false]);
      assert.equal(await claim(claims, 'A', 1), false);
      // The HES restarted: the claims are the registry's, not the process's.
      const restarted = new LorawanUplinkClaims(t.db, { windowMs: HOUR, now: () => now });
      assert.deepEqual(await Promise.all([claim(restarted, 'A', 1), claim(restarted, 'A', 3)]), [false, true]);
      // An uplink that did not reach the bus gives its claim back: its redelivery is taken.
      await restarted.release('A', 3, 'A-3');
      assert.equal(await claim(restarted, 'A', 3), true);
      // A join: the device's fCnt starts again.
      await restarted.forget('B');
      assert.equal(await claim(restarted, 'B', 1), true);
      // Past the window a pair counts no more (the counter wrapped, a rejoin was missed), and old rows are pruned.
      now += 2 * HOUR;
      assert.equal(await claim(restarted, 'A', 2), true);
      const rows = (await t.db.query<{ dev_eui: string; f_cnt: string }>('SELECT dev_eui, f_cnt FROM lorawan_uplinks_seen ORDER BY 1, 2')).rows.map((r) => `${r.dev_eui}${r.f_cnt}`);
      assert.deepEqual(rows, ['A2'], 'the pairs older than the window deleted');
    });
  });
}
