/**
 * Validation rules as data (parsing, 400 naming the field) and each check on hand-made series: gaps,
 * spikes against the median and the rating, register decrease with and without rollover, interval sums,
 * clock bits and drift, zero consumption, reverse energy, duplicates with different quality; the state
 * carried between batches gives the same failures as one batch.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../registry/errors.js';
import { DEFAULT_RULES, parseRules, rulesFor, type Rule } from './rules.js';
import { channelOf, validateChannel, validateDevice, type ChannelState, type Point } from './validate.js';

const T0 = Date.UTC(2026, 0, 5) / 1000;
const Q = 3;
const pt = (i: number, value: number, extra: Partial<Point> = {}): Point => ({ ts: T0 + i * 900, value, quality: Q, status: 0, collectedAt: T0 + i * 900 + 60, ...extra });
const rule = (code: Rule['code'], params: Record<string, number> = {}): Rule[] => parseRules([{ code, severity: 'warning', params }]);
const codes = (r: { failures: { code: string; ts: number }[] }) => r.failures.map((f) => `${f.code}@${(f.ts - T0) / 900}`);

describe('validation rules', () => {
  it('parses rules with defaults and refuses unknown codes, severities and parameters naming the field', () => {
    const [r] = parseRules([{ code: 'spike', severity: 'error', archive: 'profile-15', obis: '1.0.1.29', params: { factor: 5 } }]);
    assert.deepEqual(r, { code: 'spike', severity: 'error', archive: 'profile-15', obis: '1.0.1.29', params: { factor: 5, window: 96, maxPowerW: 0, minMedian: 1 } });
    const refused = (input: unknown, field: string) => {
      assert.throws(() => parseRules(input), (e: unknown) => e instanceof RegistryError && e.status === 400 && e.field === field);
    };
    refused([{ code: 'gap', severity: 'warning' }, { code: 'spikes', severity: 'warning' }], 'body.rules[1].code');
    refused([{ code: 'gap', severity: 'fatal' }], 'body.rules[0].severity');
    refused([{ code: 'spike', severity: 'info', params: { factr: 2 } }], 'body.rules[0].params.factr');
    refused([{ code: 'spike', severity: 'info', params: { factor: -1 } }], 'body.rules[0].params.factor');
    refused([{ code: 'gap', severity: 'info', obis: 'A+' }], 'body.rules[0].obis');
    refused({ code: 'gap' }, 'body.rules');
  });

  it('matches rules by archive and OBIS prefix', () => {
    const rules = parseRules([{ code: 'gap', severity: 'info', archive: 'profile-15' }, { code: 'spike', severity: 'info', obis: '1.0.1.29' }]);
    assert.deepEqual(rulesFor(rules, 'profile-15', '1.0.2.29.0.255').map((r) => r.code), ['gap']);
    assert.deepEqual(rulesFor(rules, 'profile-60', '1.0.1.29.0.255').map((r) => r.code), ['spike']);
    assert.deepEqual(rulesFor(rules, 'profile-60', '1.0.1.290.0.255').map((r) => r.code), []);
  });
});

describe('validation checks', () => {
  it('gap: missing intervals after the previous one', () => {
    const r = validateChannel(channelOf('profile-15', '1.0.1.29.0.255', [pt(0, 1), pt(1, 1), pt(4, 1), pt(5, 1)]), rule('gap'), undefined);
    assert.deepEqual(codes(r), ['gap@4']);
    assert.match(r.failures[0]!.detail, /^2 intervals missing after 2026-01-05T00:15:00Z$/);
  });

  it('spike: above factor × the recent median, and above the meter rating', () => {
    const points = [10, 12, 11, 10, 500, 11].map((v, i) => pt(i, v));
    assert.deepEqual(codes(validateChannel(channelOf('profile-15', '1.0.1.29.0.255', points), rule('spike'), undefined)), ['spike@4']);
    // across batches: the median comes with the state
    const first = validateChannel(channelOf('profile-15', '1.0.1.29.0.255', [10, 12, 11, 10].map((v, i) => pt(i, v))), rule('spike'), undefined);
    const second = validateChannel(channelOf('profile-15', '1.0.1.29.0.255', [500, 11].map((v, i) => pt(i + 4, v))), rule('spike'), first.state);
    assert.deepEqual(codes(second), ['spike@4']);
    // a rating of 4 kW allows 1000 Wh in 15 minutes
    const rated = validateChannel(channelOf('profile-15', '1.0.1.29.0.255', [900, 1001].map((v, i) => pt(i, v))), rule('spike', { maxPowerW: 4000 }), undefined);
    assert.deepEqual(codes(rated), ['spike@1']);
  });

  it('register decrease: a negative or falling register; a rollover at the digit count is consumption', () => {
    const r = validateChannel(channelOf('profile-15', '1.0.1.8.0.255', [100, 120, 110, -1].map((v, i) => pt(i, v))), rule('register-decrease'), undefined);
    assert.deepEqual(codes(r), ['register-decrease@2', 'register-decrease@3']);
    // 6 digits in kWh, stored in Wh: rolls over at 999999.999 kWh
    const roll = rule('register-decrease', { digits: 6, unitMultiplier: 1000 });
    const ok = validateChannel(channelOf('profile-15', '1.0.1.8.0.255', [999_999_500, 999_999_900, 300].map((v, i) => pt(i, v))), [...roll, ...rule('spike')], undefined);
    assert.deepEqual(codes(ok), []);
    assert.equal(ok.state!.recent[1], 400);
  });

  it('interval sum: the profile\'s interval values add up to the register difference', () => {
    const register = { ...channelOf('profile-15', '1.0.1.8.0.255', [1000, 1010, 1020, 1100].map((v, i) => pt(i, v))), tariff: 0 };
    const interval = { ...channelOf('profile-15', '1.0.1.29.0.255', [10, 10, 10, 30].map((v, i) => pt(i, v))), tariff: 0 };
    const failures = validateDevice(1, [register, interval], rule('interval-sum'), new Map());
    assert.deepEqual(failures.map((f) => `${f.code}@${(f.ts - T0) / 900}:${f.obis}`), ['interval-sum@3:1.0.1.29.0.255']);
    assert.equal(failures[0]!.detail, 'intervals sum to 30, the register moved 80');
  });

  it('clock: status bits, time-normal missing, device time ahead or (read-time archives) behind', () => {
    const points = [pt(0, 1), pt(1, 1, { status: 0x20 }), pt(2, 1, { quality: 1 }), pt(3, 1, { collectedAt: T0 }), pt(4, 1)];
    assert.deepEqual(codes(validateChannel(channelOf('profile-15', '1.0.1.29.0.255', points), rule('clock'), undefined)), ['clock@1', 'clock@2', 'clock@3']);
    const late = [pt(0, 230, { collectedAt: T0 + 299 }), pt(1, 230, { collectedAt: T0 + 900 + 301 })];
    assert.deepEqual(codes(validateChannel(channelOf('current', '1.0.32.7.0.255', late), rule('clock'), undefined)), ['clock@1']);
  });

  it('zero consumption for N days; reverse energy on an export register', () => {
    const days = [100, 100, 100, 100, 101];
    const day = (i: number, v: number) => ({ ts: T0 + i * 86_400, value: v, quality: Q, status: 0, collectedAt: T0 + i * 86_400 });
    const z = validateChannel(channelOf('end-of-day', '1.0.1.8.0.255', days.map((v, i) => day(i, v))), rule('zero-consumption', { days: 3 }), undefined);
    assert.deepEqual(z.failures.map((f) => (f.ts - T0) / 86_400), [3]);
    const rev = validateChannel(channelOf('end-of-day', '1.0.2.8.0.255', [5, 5, 7].map((v, i) => day(i, v))), rule('reverse-energy'), undefined);
    assert.deepEqual(rev.failures.map((f) => (f.ts - T0) / 86_400), [2]);
    assert.deepEqual(validateChannel(channelOf('end-of-day', '1.0.1.8.0.255', [5, 7].map((v, i) => day(i, v))), rule('reverse-energy'), undefined).failures, []);
  });

  it('duplicate quality: the same reading twice with different flags', () => {
    const r = validateChannel(channelOf('profile-15', '1.0.1.29.0.255', [pt(0, 1), pt(1, 1), pt(1, 1, { quality: 7 }), pt(2, 1), pt(2, 1)]), rule('duplicate-quality'), undefined);
    assert.deepEqual(codes(r), ['duplicate-quality@1']);
  });

  it('one batch or the same readings in three: the same failures (the state carries the past)', () => {
    const values = [10, 11, 12, 10, 11, 9, 10, 300, 12, 11, 11, 10];
    const points = values.map((v, i) => pt(i, v)).filter((_, i) => i !== 4);
    const whole = validateChannel(channelOf('profile-15', '1.0.1.29.0.255', points.map((p) => ({ ...p }))), DEFAULT_RULES, undefined);
    let state: ChannelState | undefined;
    const parts: string[] = [];
    for (const slice of [points.slice(0, 3), points.slice(3, 8), points.slice(8)]) {
      const r = validateChannel(channelOf('profile-15', '1.0.1.29.0.255', slice.map((p) => ({ ...p }))), DEFAULT_RULES, state);
      state = r.state;
      parts.push(...codes(r));
    }
    assert.deepEqual(codes(whole), ['gap@5', 'spike@7']);
    assert.deepEqual(parts, codes(whole));
  });
});
