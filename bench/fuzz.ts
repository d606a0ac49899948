/**
 * `npm run fuzz [-- --iterations N --seed S]`: feeds at least a million random and mutated frames to
 * every DLMS decoder and fails if anything but a DlmsError comes out. Prints the report as JSON.
 */
import { runFuzz } from '../decoders/dlms/fuzz/fuzz.js';
import { dlmsFuzzTargets } from '../decoders/dlms/fuzz/targets.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) {
    process.stderr.write(`fuzz: --${name} must be a positive integer\n`);
    process.exit(2);
  }
  return v;
};

const iterations = arg('iterations', 1_000_000);
const seed = arg('seed', Date.now() % 0x7fffffff);
const t0 = performance.now();
const report = runFuzz(dlmsFuzzTargets(), iterations, seed);
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ seed, seconds: Number(seconds.toFixed(1)), ...report }, null, 2) + '\n');
if (report.failures.length) {
  process.stderr.write(`fuzz: ${report.failures.length} input(s) raised something other than DlmsError (replay with --seed ${seed})\n`);
  process.exit(1);
}
