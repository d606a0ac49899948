/**
 * Firmware benchmark (bench/RESULTS.md):
 *   fota.campaign  a 200 kB image to simulated CE308 meters (wrapper, HLS-GMAC + suite 0 ciphering) in one
 *                  campaign wave, run by the FirmwareRunner of this process with the DLMS reader, the registry in
 *                  the PostgreSQL server on 127.0.0.1 (its CPU is not this process's). The meters run in a child
 *                  process (`hes sim`), so this process's CPU is the HES's: sessions, ciphering, the runner's
 *                  progress writes. Two runs: no latency (throughput bound by the 2 shared cores) and a per-answer
 *                  latency like a cellular link (bound by the parallelism), which gives the HES CPU per 100 parallel
 *                  transfers. Meter counts scale down for the shared machine: HES_BENCH_FOTA_METERS (default 20 fast,
 *                  100 slow), HES_BENCH_FOTA_LATENCY_MS (default 100).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerFleet } from '../cli/demo.js';
import { spawnHes } from '../cli/hes-process.js';
import { SecretBox } from '../registry/crypto.js';
import { addImage, createCampaign, getCampaign } from '../registry/firmware.js';
import { createProject } from '../registry/project-data.js';
import { openTestDb } from '../registry/testing.js';
import { simFleetConfig } from '../ingest/testing/sim-meters.js';
import { RegistryInvocationCounterStore } from '../scheduler/counters.js';
import { DlmsDeviceReader } from '../scheduler/dlms-reader.js';
import { FirmwareRunner } from '../scheduler/firmware.js';
import { Fleet } from '../sim/fleet.js';
import type { Benchmark, BenchResult } from './harness.js';

const IMAGE_BYTES = 200 * 1024;

async function campaign(label: string, meters: number, latencyMs: number): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-fota-'));
  const config = { ...simFleetConfig({ meters, profile: 'ce308', faults: latencyMs ? [{ latencyMs }] : [] }) };
  writeFileSync(join(dir, 'sim.json'), JSON.stringify({ ...config, port: 0, framing: 'wrapper', stateFile: join(dir, 'state.json'), keysFile: join(dir, 'keys.json') }));
  const sim = spawnHes(['sim', '--config', join(dir, 'sim.json')]);
  const t = await openTestDb('postgres');
  try {
    const port = Number((await sim.waitFor(/ {2}\d+ {2}127\.0\.0\.1:(\d+)/, 120_000))[1]);
    await sim.waitFor(/all meters with their addresses and keys/, 120_000);
    const box = new SecretBox(Buffer.alloc(32, 5));
    const projectId = String((await createProject(t.db, { name: 'Bench' }, null)).id);
    const ids = await registerFleet(t.db, box, projectId, new Fleet(config), '127.0.0.1', port);
    const image = Buffer.from(Uint8Array.from({ length: IMAGE_BYTES }, (_, i) => (i * 7 + 1) & 0xff));
    const imageId = String((await addImage(t.db, projectId, { name: 'bench.bin', vendor: 'Bench', deviceTypes: ['CE308'], version: '30.0.0', imageIdentifier: 'CE308-30.0.0' }, image, null)).image.id);
    const c = await createCampaign(t.db, projectId, {
      name: 'Bench', imageId, deviceIds: ids, waves: [{ percent: 100 }], successThreshold: 0, errorThreshold: 1, maxParallel: meters,
    }, null);
    const reader = new DlmsDeviceReader({ db: t.db, box, counters: new RegistryInvocationCounterStore(t.db) });
    const runner = new FirmwareRunner({ db: t.db, reader, concurrency: meters, pollMs: 1000 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runner.drain(6 * 3_600_000);
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1e6;
    const done = await getCampaign(t.db, projectId, String(c.id));
    const p = done.progress as { success: number; error: number };
    // System time is mostly the kernel's loopback TCP work (on a real network the NIC and the peer's kernel do much of it).
    const common = {
      meters, parallel: meters, latencyMs, imageBytes: IMAGE_BYTES, success: p.success, error: p.error, wallSeconds: wall, hesCpuSeconds: cpu,
      hesUserSeconds: used.user / 1e6, hesSystemSeconds: used.system / 1e6,
    };
    return [
      { name: `fota.campaign.${label}.metersPerHour`, value: (p.success * 3600) / wall, unit: 'meters/h', ...common },
      { name: `fota.campaign.${label}.cpuPerMeter`, value: cpu / Math.max(1, p.success), unit: 'cpu-s', ...common },
      { name: `fota.campaign.${label}.coresPer100Transfers`, value: ((cpu / wall) * 100) / meters, unit: 'cores', ...common },
    ];
  } catch (e) {
    process.stderr.write(`fota.campaign failed; simulator output:\n${sim.output.slice(-2000)}\n`);
    throw e;
  } finally {
    await sim.stop();
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export const benchmarks: Benchmark[] = [
  {
    name: 'fota.campaign',
    run: async () => [
      ...(await campaign('fast', env('HES_BENCH_FOTA_METERS', 20), 0)),
      ...(await campaign('slow', env('HES_BENCH_FOTA_METERS', 100), env('HES_BENCH_FOTA_LATENCY_MS', 100))),
    ],
  },
];
