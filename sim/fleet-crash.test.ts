/**
 * The demo's simulated meters after kill -9: the fleet runs in a child process as `hes start --demo` runs it
 * (startSimMeters with a state file), the HES side holds the meters' last counters in its replay guard.
 * Killed without saving, the fleet comes back with counters above every one it sent (reserved ahead), so
 * the next ciphered session is accepted. A meter whose counter did go back is reported as a security
 * failure naming the counter, at once, not as a timeout.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from './fleet.js';
import { simFleetConfig, simSettings } from '../ingest/testing/sim-meters.js';
import { runSession } from '../ingest/session/run.js';
import { MemoryInvocationCounterStore } from '../ingest/session/counters.js';
import { connectTcp } from '../ingest/transport/socket.js';

const FLEET = { meters: 2, profile: 'ce308' };

/** The demo's fleet in a child process; resolves once it listens, with its port. */
async function startFleet(stateFile: string): Promise<{ child: ChildProcess; port: number }> {
  const module = new URL('../ingest/testing/sim-meters.js', import.meta.url).href;
  const code = `const { startSimMeters } = await import(${JSON.stringify(module)});
    const m = await startSimMeters({ framing: 'wrapper', fleet: { ...${JSON.stringify(FLEET)}, stateFile: ${JSON.stringify(stateFile)} } });
    process.stdout.write('port ' + m.port + '\\n');
    setInterval(() => {}, 1 << 30);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the fleet exited (${code}) before listening`)));
  });
  return { child, port };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

it('meters killed with kill -9 come back with higher counters; a counter that went back is a security failure, not a timeout', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-fleet-crash-'));
  const fleet = new Fleet(simFleetConfig(FLEET));
  const settings = simSettings(fleet, 1, 'wrapper', 'high-gmac');
  // The HES's side: the meter's last accepted counter, kept across sessions (the registry in the HES).
  const store = new MemoryInvocationCounterStore();
  const read = (port: number) => runSession(() => connectTcp('127.0.0.1', port), settings, [{ op: 'clock-read' }],
    { counters: { store, deviceId: 'meter-1' }, waitTimeMs: 30_000, resendCount: 2 });
  let running: ChildProcess | undefined;
  try {
    let { child, port } = await startFleet(join(dir, 'demo-meters.json'));
    running = child;
    for (let n = 0; n < 3; n++) assert.equal((await read(port)).ok, true);
    await kill9(child);

    ({ child, port } = await startFleet(join(dir, 'demo-meters.json')));
    running = child;
    const after = await read(port);
    assert.equal(after.ok, true, JSON.stringify(after));
    await kill9(child);

    // A fleet that lost its state file: its counters start again below what the HES accepted last.
    ({ child, port } = await startFleet(join(dir, 'elsewhere.json')));
    running = child;
    const replayed = await read(port);
    assert.equal(replayed.ok, false);
    assert.equal(replayed.error?.reason, 'replayed-counter', JSON.stringify(replayed));
    assert.match(String(replayed.error?.message), /security failure: invocation counter \d+ .* is not greater than \d+/);
    assert.equal(replayed.attempts, 1);
  } finally {
    if (running && running.exitCode === null) await kill9(running);
    rmSync(dir, { recursive: true, force: true });
  }
});
