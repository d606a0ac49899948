/** A slice of the fuzz run (`npm run fuzz`): only LorawanError may come out of the LoRaWAN payload codecs and decoder. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../fuzz.js';
import { lorawanFuzzTargets } from './targets.js';

test('the LoRaWAN codecs and decoder reject random and mutated payloads with LorawanError only', () => {
  const report = runFuzz(lorawanFuzzTargets(), 40_000, 20261207);
  assert.deepEqual(report.failures, [], JSON.stringify(report.failures.slice(0, 3)));
  assert.ok(report.rejected > 1000, `rejected ${report.rejected}`);
  assert.ok(report.decoded > 1000, `decoded ${report.decoded}`);
  for (const code of ['TLV_TRUNCATED', 'TLV_TAG', 'LPP_TYPE', 'LPP_TRUNCATED']) assert.ok(report.errorCodes[code], `${code} seen: ${JSON.stringify(report.errorCodes)}`);
});
