/** `hes read` as a child process against the fleet simulator (sim/, IDIS profile) on 127.0.0.1: output and exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { toHex } from '../decoders/dlms/axdr/writer.js';
import { HES_TITLE, startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';

/** The meters' clock is fixed, so the day read is known. */
const NOW = Date.UTC(2025, 2, 10, 9, 34, 56);
const DAY = Date.UTC(2025, 2, 9);

interface Run {
  code: number;
  out: Record<string, unknown>;
  stderr: string;
}

function hesRead(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/hes.ts', 'read', ...args], { cwd: process.cwd() }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: stdout ? (JSON.parse(stdout) as Record<string, unknown>) : {}, stderr });
    });
  });
}

async function withSim<T>(framing: 'hdlc' | 'wrapper', fn: (sim: SimMeters) => Promise<T>): Promise<T> {
  const sim = await startSimMeters({ framing, fleet: { meters: 2, profile: 'idis' }, now: () => NOW });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

/** Meter 0 answers the default addressing (HDLC logical 1, wrapper wPort 1), as a lone meter does. */
function security(sim: SimMeters): Record<'none' | 'LLS' | 'HLS-GMAC + suite 0', string[]> {
  const k = sim.fleet.keys(0);
  return {
    none: ['--client', '16'],
    LLS: ['--client', '32', '--auth', 'low', '--password', k.password],
    'HLS-GMAC + suite 0': ['--client', '48', '--auth', 'high-gmac', '--block-cipher-key', toHex(k.blockCipherKey), '--auth-key', toHex(k.authenticationKey), '--system-title', toHex(HES_TITLE)],
  };
}

for (const framing of ['hdlc', 'wrapper'] as const) {
  for (const name of ['none', 'LLS', 'HLS-GMAC + suite 0'] as const) {
    test(`hes read, ${framing}, ${name}: clock, register, a profile by range`, () =>
      withSim(framing, async (sim) => {
        const from = new Date(DAY).toISOString();
        const to = new Date(DAY + 3_600_000).toISOString();
        const r = await hesRead(['--host', '127.0.0.1', '--port', String(sim.port), '--framing', framing, ...security(sim)[name], '--get', '0.0.1.0.0.255:8:2', '--get', '1.0.1.8.0.255:3:2', '--get', '1.0.99.1.0.255:7:2', '--from', from, '--to', to]);
        assert.equal(r.code, 0, r.stderr);
        const results = r.out.results as { ok: boolean; value: Record<string, unknown> }[];
        assert.equal(results[0]!.value.utc, new Date(NOW).toISOString());
        assert.equal(results[1]!.value.unit, 'Wh');
        assert.equal(typeof results[1]!.value.value, 'number');
        const rows = results[2]!.value.rows as { time: string; values: number[] }[];
        assert.equal(rows.length, 5);
        assert.equal(rows[0]!.time, from);
        assert.equal(rows[4]!.time, to);
      }));
  }
}

test('hes read exit codes: usage 2, connection 3, association 4, data 5; --trace and --action', () =>
  withSim('wrapper', async (sim) => {
    const base = ['--host', '127.0.0.1', '--port', String(sim.port), '--framing', 'wrapper'];
    assert.equal((await hesRead(['--host', '127.0.0.1'])).code, 2);
    assert.equal((await hesRead([...base, '--get', 'nonsense'])).code, 2);
    const closed = await hesRead(['--host', '127.0.0.1', '--port', '1', '--get', '0.0.1.0.0.255:8:2']);
    assert.equal(closed.code, 3);
    assert.match((closed.out.error as { message: string }).message, /could not start a session/);
    const auth = await hesRead([...base, '--client', '32', '--auth', 'low', '--password', 'wrong', '--get', '0.0.1.0.0.255:8:2']);
    assert.equal(auth.code, 4);
    assert.match((auth.out.error as { message: string }).message, /authentication failed/);
    const data = await hesRead([...base, '--get', '1.0.99.99.0.255:3:2']);
    assert.equal(data.code, 5);
    assert.match((data.out.results as { error: string }[])[0]!.error, /object not found/);
    const act = await hesRead([...base, ...security(sim)['HLS-GMAC + suite 0'], '--action', '0.0.96.3.10.255:70:1', '--get', '0.0.96.3.10.255:70:2', '--trace']);
    assert.equal(act.code, 0, act.stderr);
    assert.deepEqual((act.out.results as { value: unknown }[])[1]!.value, { data: { boolean: false } });
    const lines = act.out.exchangeLog as string[];
    assert.ok(lines.some((l) => l.includes('action-request-normal #') && l.includes('70/0.0.96.3.10.255 method 1')), lines.join('\n'));
  }));

test('hes read --mode-e: a serial meter behind a transparent modem, opened in IEC 62056-21 mode E, then HDLC', async () => {
  const sim = await startSimMeters({ framing: 'hdlc', fleet: { meters: 2, profile: 'idis' }, now: () => NOW, modeE: true });
  try {
    const args = ['--host', '127.0.0.1', '--port', String(sim.port), '--get', '0.0.1.0.0.255:8:2', '--wait-time', '1000'];
    const r = await hesRead([...args, '--mode-e', '--device-address', sim.fleet.serial(0), '--trace']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.out.results as { value: { utc: string } }[])[0]!.value.utc, new Date(NOW).toISOString());
    assert.ok((r.out.exchangeLog as string[]).some((l) => /ok +mode E: \w{3} "IDIS" up to 9600 Bd, HDLC at 9600 Bd/.test(l)), 'the opening in the exchange log');
    // Without the opening the port stays silent: no link (exit 3).
    assert.equal((await hesRead(args)).code, 3);
    assert.equal((await hesRead([...args, '--mode-e', '--framing', 'wrapper'])).code, 2);
  } finally {
    await sim.close();
  }
});
