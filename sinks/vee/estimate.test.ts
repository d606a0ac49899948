/** Estimation on hand-made series: gaps found, short ones interpolated, long ones shaped by the weekday profile and scaled to the register difference. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { consumptions, estimateGap, findGaps } from './estimate.js';

const P = 900;
const T0 = Date.UTC(2026, 0, 12) / 1000;
const WEEK = 7 * 86_400;

describe('estimation', () => {
  it('finds gaps with their ends, also at the range edges', () => {
    const points = [0, 1, 4, 5].map((i) => ({ ts: T0 + i * P, value: i }));
    const gaps = findGaps(points, P, T0, T0 + 8 * P);
    assert.deepEqual(gaps.map((g) => [g.before?.ts, g.after?.ts, g.missing.map((t) => (t - T0) / P)]), [
      [T0 + P, T0 + 4 * P, [2, 3]],
      [T0 + 5 * P, undefined, [6, 7]],
    ]);
  });

  it('interpolates a short gap linearly between its ends (register and interval values)', () => {
    const gap = { before: { ts: T0, value: 1000 }, after: { ts: T0 + 4 * P, value: 1040 }, missing: [T0 + P, T0 + 2 * P, T0 + 3 * P] };
    assert.deepEqual(estimateGap(gap, 'cumulative', P, { linearMax: 4, weeks: 4, history: new Map() }).map((e) => [e.value, e.method]), [[1010, 'linear'], [1020, 'linear'], [1030, 'linear']]);
    // without both ends nothing is interpolated
    assert.deepEqual(estimateGap({ before: gap.before, missing: gap.missing }, 'cumulative', P, { linearMax: 4, weeks: 4, history: new Map() }), []);
  });

  it('shapes a long gap of a register by the same weekday\'s profile and scales it to the register difference', () => {
    // last week: consumption 10, 30, 0, 60 in the four intervals that end at T0+P..T0+4P
    const last = [500, 510, 540, 540, 600].map((v, i) => ({ ts: T0 - WEEK + i * P, value: v }));
    const history = consumptions(last, 'cumulative', P);
    const gap = { before: { ts: T0, value: 1000 }, after: { ts: T0 + 4 * P, value: 1200 }, missing: [T0 + P, T0 + 2 * P, T0 + 3 * P] };
    const e = estimateGap(gap, 'cumulative', P, { linearMax: 2, weeks: 4, history });
    // 200 spread as 10:30:0:60 → 20, 60, 0, 120
    assert.deepEqual(e.map((x) => [x.value, x.method]), [[1020, 'profile'], [1080, 'profile'], [1080, 'profile']]);
  });

  it('estimates interval values from the mean of the past weeks', () => {
    const history = new Map([[T0 + P - WEEK, 10], [T0 + P - 2 * WEEK, 20], [T0 + 2 * P - WEEK, 4]]);
    const e = estimateGap({ missing: [T0 + P, T0 + 2 * P, T0 + 3 * P] }, 'interval', P, { linearMax: 4, weeks: 4, history });
    assert.deepEqual(e.map((x) => [(x.ts - T0) / P, x.value]), [[1, 15], [2, 4]]);
  });
});
