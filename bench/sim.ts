/**
 * Simulator benchmarks: memory per idle meter of a fleet (issue 3: ≥ 10,000 meters per process),
 * memory per open meter session, and the cost of answering reads (register, 1-day load profile).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { measure, type Benchmark, type BenchResult } from './harness.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet } from '../sim/fleet.js';
import { MeterObjects } from '../sim/objects/index.js';
import { MeterSession } from '../sim/transport/session.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

const NOW = Date.UTC(2025, 5, 1, 10, 0, 0);

export const benchmarks: Benchmark[] = [
  {
    name: 'sim.memory',
    run(): BenchResult[] {
      const n = 100_000;
      const before = heap();
      const fleet = new Fleet({ ...DEFAULT_FLEET, meters: n, security: 'high-gmac' }, () => NOW);
      const idle = (heap() - before) / n;
      const sessions: MeterSession[] = [];
      const k = 2000;
      const base = heap();
      for (let i = 0; i < k; i++) sessions.push(new MeterSession(fleet, i, { framing: 'hdlc', serverLogicalAddress: 1, serverAddressSize: 1 }, { write: () => {}, close: () => {} }));
      const perSession = (heap() - base) / k;
      sessions.length = 0;
      return [
        { name: 'sim.memory.idle_meter', value: Math.round(idle * 10) / 10, unit: 'bytes/meter', meters: n },
        { name: 'sim.memory.open_session', value: Math.round(perSession), unit: 'bytes/session', sessions: k },
      ];
    },
  },
  {
    name: 'sim.reads',
    run(): BenchResult[] {
      const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 1000 }, () => NOW);
      let i = 0;
      const session = { clientSap: 16, serverSap: 1, mechanism: 0, ciphered: false, invocationCounter: 0 };
      const register = { classId: 3, instanceId: parseObis('1.0.1.8.0.255'), attributeId: 2 };
      const reg = measure(() => {
        const m = fleet.meter(i++ % 1000);
        new MeterObjects(fleet.table, { meter: m, nowMs: NOW, session }).get(register);
      });
      const profile = { classId: 7, instanceId: parseObis('1.0.99.1.0.255'), attributeId: 2 };
      const access = {
        selector: 2,
        parameters: {
          type: 'structure' as const,
          value: [
            { type: 'double-long-unsigned' as const, value: 1 },
            { type: 'double-long-unsigned' as const, value: 48 },
            { type: 'long-unsigned' as const, value: 1 },
            { type: 'long-unsigned' as const, value: 0 },
          ],
        },
      };
      const day = measure(() => {
        const m = fleet.meter(i++ % 1000);
        new MeterObjects(fleet.table, { meter: m, nowMs: NOW, session }).get(profile, access);
      });
      return [
        { name: 'sim.reads.register_total', value: Math.round(reg.opsPerSec), unit: 'reads/s', history_days: 151 },
        { name: 'sim.reads.profile_48_rows', value: Math.round(day.opsPerSec), unit: 'reads/s' },
      ];
    },
  },
];
