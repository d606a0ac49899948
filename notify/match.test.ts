import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inQuietPeriod, matchesRule } from './match.js';

const G1 = '00000000-0000-4000-8000-000000000001';
const G2 = '00000000-0000-4000-8000-000000000002';

test('a rule matches an event by its code or its severity, within the rule\'s groups', () => {
  const rule = { eventCodes: [47], severities: ['critical'] as const, groupIds: [] };
  assert.equal(matchesRule({ ...rule, severities: [...rule.severities] }, { code: 47 }, G1), true, 'by code, no severity on the row');
  assert.equal(matchesRule({ ...rule, severities: ['critical'] }, { code: 1, severity: 'critical' }, G1), true, 'by severity');
  assert.equal(matchesRule({ ...rule, severities: ['critical'] }, { code: 1, severity: 'minor' }, G1), false);
  assert.equal(matchesRule({ ...rule, severities: ['critical'] }, { code: 1, severity: '' }, G1), false);
  assert.equal(matchesRule({ eventCodes: [47], severities: [], groupIds: [G2] }, { code: 47 }, G1), false, 'device outside the groups');
  assert.equal(matchesRule({ eventCodes: [47], severities: [], groupIds: [G1, G2] }, { code: 47 }, G1), true);
});

test('the quiet period is read in the project\'s time zone and may run over midnight', () => {
  const at = Date.parse('2025-06-01T21:30:00Z'); // 23:30 in Europe/Berlin (UTC+2), 21:30 UTC
  assert.equal(inQuietPeriod({ from: '22:00', to: '07:00' }, 'Europe/Berlin', at), true);
  assert.equal(inQuietPeriod({ from: '22:00', to: '07:00' }, 'UTC', at), false);
  assert.equal(inQuietPeriod({ from: '21:00', to: '22:00' }, 'UTC', at), true);
  assert.equal(inQuietPeriod({ from: '21:30', to: '21:30' }, 'UTC', at), false, 'from = to is no period');
  assert.equal(inQuietPeriod({ from: '00:00', to: '06:00' }, 'UTC', Date.parse('2025-06-01T06:00:00Z')), false, 'the end is not in it');
  assert.equal(inQuietPeriod(null, 'UTC', at), false);
});
