/**
 * `npm run fuzz [-- --iterations N --seed S --protocol dlms|mbus|lorawan|smp-m]`: feeds at least a million random and
 * mutated frames to every decoder of each codec (DLMS, M-Bus, LoRaWAN; all by default) and fails if anything
 * but the codec's own error (DlmsError, MbusError, LorawanError) comes out. Prints one report per codec as JSON.
 */
import { runFuzz, type FuzzTarget } from '../decoders/fuzz.js';
import { dlmsFuzzTargets } from '../decoders/dlms/fuzz/targets.js';
import { mbusFuzzTargets } from '../decoders/mbus/fuzz/targets.js';
import { lorawanFuzzTargets } from '../decoders/lorawan/fuzz/targets.js';
import { smpmFuzzTargets } from '../decoders/smp-m/fuzz/targets.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) {
    process.stderr.write(`fuzz: --${name} must be a positive integer\n`);
    process.exit(2);
  }
  return v;
};

const codecs: Record<string, () => FuzzTarget[]> = { dlms: dlmsFuzzTargets, mbus: mbusFuzzTargets, lorawan: lorawanFuzzTargets, 'smp-m': smpmFuzzTargets };
const i = process.argv.indexOf('--protocol');
const chosen = i >= 0 ? [process.argv[i + 1] ?? ''] : Object.keys(codecs);
for (const c of chosen) {
  if (!codecs[c]) {
    process.stderr.write(`fuzz: --protocol must be one of ${Object.keys(codecs).join(', ')}\n`);
    process.exit(2);
  }
}
const iterations = arg('iterations', 1_000_000);
const seed = arg('seed', Date.now() % 0x7fffffff);
let failed = false;
for (const protocol of chosen) {
  const t0 = performance.now();
  const report = runFuzz(codecs[protocol]!(), iterations, seed);
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ protocol, seed, seconds: Number(seconds.toFixed(1)), ...report }, null, 2) + '\n');
  if (report.failures.length) {
    process.stderr.write(`fuzz: ${protocol}: ${report.failures.length} input(s) raised something other than the codec's error (replay with --protocol ${protocol} --seed ${seed})\n`);
    failed = true;
  }
}
if (failed) process.exit(1);
