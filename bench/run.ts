/**
 * `npm run bench [-- PREFIX...]`: runs every registered benchmark (or those whose name starts with a
 * PREFIX) and prints one JSON line per result.
 */
import type { Benchmark } from './harness.js';
import { benchmarks as dlms } from './dlms-decode.js';
import { benchmarks as sim } from './sim.js';
import { benchmarks as sessions } from './sessions.js';
import { benchmarks as registry } from './registry.js';
import { benchmarks as pipeline } from './pipeline.js';
import { benchmarks as hesDaily } from './hes-daily.js';
import { benchmarks as mbus } from './mbus.js';
import { benchmarks as cim } from './cim.js';
import { benchmarks as push } from './push.js';
import { benchmarks as lorawan } from './lorawan.js';
import { benchmarks as unb } from './unb.js';
import { benchmarks as firmware } from './firmware.js';
import { benchmarks as analytics } from './analytics.js';
import { benchmarks as scaleout } from './scaleout.js';
import { benchmarks as consoleLoad } from './console.js';

const all: Benchmark[] = [...dlms, ...sim, ...sessions, ...registry, ...pipeline, ...hesDaily, ...mbus, ...cim, ...push, ...lorawan, ...unb, ...firmware, ...analytics, ...scaleout, ...consoleLoad];
const prefixes = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = prefixes.length ? all.filter((b) => prefixes.some((p) => b.name.startsWith(p))) : all;
if (selected.length === 0) {
  process.stderr.write(`no benchmark matches ${prefixes.join(', ')}; known: ${all.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}
for (const b of selected) {
  for (const r of await b.run()) process.stdout.write(JSON.stringify(r) + '\n');
}
