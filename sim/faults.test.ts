import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateTimeToUtcMs } from '../decoders/dlms/axdr/datetime.js';
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import { ActionResult, rangeAccess } from '../decoders/dlms/apdu/index.js';
import { clockAttributes, decodeCaptureObjects, decodeRelayLock } from '../decoders/dlms/cosem/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet } from './fleet.js';
import type { FaultRule } from './faults.js';
import { inOutage, localSlotOf, outageOf, SLOTS_PER_DAY, utcOfSlot } from './model/energy.js';
import { seedOf, unit } from './model/hash.js';
import { RelayEvent } from './objects/control.js';
import { ClientSap } from './transport/session.js';
import { startTcp } from './transport/tcp.js';
import { dial, open, type Driver } from './transport/testkit.js';

const NOW = Date.UTC(2025, 2, 10, 9, 34, 56);
const PUBLIC = { framing: 'wrapper', clientAddress: ClientSap.public, serverWPort: 1 } as const;
const SERIAL = { classId: 1, instanceId: parseObis('0.0.96.1.0.255'), attributeId: 2 };

async function withMeter(faults: FaultRule[], body: (port: number, fleet: Fleet) => Promise<void>, framing: 'hdlc' | 'wrapper' = 'wrapper', now = () => NOW, firstSerial = DEFAULT_FLEET.firstSerial): Promise<void> {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 1, security: 'low', faults, firstSerial }, now);
  const tcp = await startTcp({ fleet, framing, port: 0 });
  try {
    await body(tcp.ports[0]!, fleet);
  } finally {
    await tcp.close();
  }
}

const rowsOf = (d: DlmsData): DlmsData[][] => (d as { value: { value: DlmsData[] }[] }).value.map((r) => r.value);
const num = (d: DlmsData): number => (d as { value: number }).value;
const time = (d: DlmsData): number => dateTimeToUtcMs(clockAttributes.time.decode(d))!;

/** Sends n GETs one after the other, abandoning each after `waitMs`; how many were answered. */
async function answered(d: Driver, n: number, waitMs: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    d.client.get(SERIAL);
    if (await d.next(['get-response'], waitMs)) ok++;
    else d.client.abandonRequest();
  }
  return ok;
}

test('dropped frames: about the configured share of answers never arrive, the same ones on every run', async () => {
  // a meter whose first frame (the AARE) passes, so the session gets going
  let first = 30800001;
  while (unit(seedOf(`ce308/${first}`), 0, 97) < 0.5) first++;
  const counts: number[] = [];
  for (let run = 0; run < 2; run++) {
    await withMeter(
      [{ dropRate: 0.5 }],
      async (port) => {
        const d = await open(port, PUBLIC);
        counts.push(await answered(d, 20, 80));
        d.socket.destroy();
      },
      'wrapper',
      () => NOW,
      String(first),
    );
  }
  assert.ok(counts[0]! >= 4 && counts[0]! <= 16, `${counts[0]} of 20 answered`);
  assert.equal(counts[1], counts[0]);
});

test('corrupted frames: HDLC frames fail their FCS and the client never sees the link come up', async () => {
  await withMeter(
    [{ corruptRate: 1 }],
    async (port) => {
      const d = await dial(port, { framing: 'hdlc', clientAddress: ClientSap.public, serverLogicalAddress: 1, serverAddressSize: 1 });
      d.client.connect();
      assert.equal(await d.next(['link-connected'], 300), undefined);
      d.socket.destroy();
    },
    'hdlc',
  );
});

test('latency and jitter delay each answer by latency … latency + jitter', async () => {
  await withMeter([{ latencyMs: 120, jitterMs: 80 }], async (port) => {
    const d = await open(port, PUBLIC);
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      await d.get(1, '0.0.96.1.0.255', 2);
      const ms = performance.now() - t0;
      assert.ok(ms >= 115 && ms < 400, `${ms} ms`);
    }
    d.socket.destroy();
  });
});

test('a silent meter accepts the connection and never answers', async () => {
  await withMeter([{ silent: true }], async (port) => {
    const d = await dial(port, PUBLIC);
    d.client.connect();
    d.client.associate();
    assert.equal(await d.next(['associated', 'association-rejected', 'error'], 300), undefined);
    assert.equal(d.closed, false);
    d.socket.destroy();
  });
});

test('disconnect mid-session: the meter drops the connection after the configured number of requests', async () => {
  await withMeter([{ disconnectAfterRequests: 2 }], async (port) => {
    const d = await open(port, PUBLIC);
    await d.get(1, '0.0.96.1.0.255', 2);
    await d.get(1, '0.0.96.1.0.255', 2); // answered, then the meter hangs up
    for (let i = 0; i < 20 && !d.closed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(d.closed, true);
  });
});

test('wrong keys: LLS with the exported password is rejected, the meter answers the public client', async () => {
  await withMeter([{ wrongKeys: true }], async (port, fleet) => {
    const d = await dial(port, { framing: 'wrapper', clientAddress: ClientSap.reader, serverWPort: 1, authentication: 'low', password: fleet.keys(0).password });
    d.client.connect();
    d.client.associate();
    const e = await d.until(['associated', 'association-rejected', 'authentication-failed']);
    assert.equal(e.type, 'association-rejected', JSON.stringify(e));
    d.socket.destroy();
    const p = await open(port, PUBLIC);
    p.socket.destroy();
  });
});

test('clock drift: the meter clock runs fast by the configured ppm since the fleet started', async () => {
  let now = NOW;
  await withMeter(
    [{ clockDriftPpm: 50_000 }],
    async (port) => {
      now = NOW + 2_000_000; // 2,000 s later: 100 s fast at 5 %
      const d = await open(port, PUBLIC);
      assert.equal(time(await d.get(8, '0.0.1.0.0.255', 2)), now + 100_000);
      d.socket.destroy();
    },
    'wrapper',
    () => now,
  );
});

test('power outages: missing 15-minute intervals, power off / on events, registers still equal the profile sums', async () => {
  await withMeter([{ outagesPerDay: 1 }], async (port, fleet) => {
    const load = fleet.meter(0).load;
    const today = Math.floor(localSlotOf(load, NOW) / SLOTS_PER_DAY);
    const day = today - 1;
    const o = outageOf(load, day)!;
    const d = await open(port, PUBLIC);
    const clockCol = decodeCaptureObjects(await d.get(7, '1.0.99.3.0.255', 3))[0]!;
    const stamp = (ms: number): DlmsData => {
      const t = new Date(ms + 3 * 3_600_000);
      return clockAttributes.time.encode({ year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, dayOfMonth: t.getUTCDate(), dayOfWeek: 0xff, hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: 0, hundredths: 0, deviation: -180, clockStatus: 0 });
    };
    const from = utcOfSlot(load, day * SLOTS_PER_DAY + 1);
    const to = utcOfSlot(load, today * SLOTS_PER_DAY);
    const rows = rowsOf(await d.get(7, '1.0.99.3.0.255', 2, rangeAccess({ restrictingObject: clockCol, fromValue: stamp(from), toValue: stamp(to), selectedValues: [] })));
    const expected: number[] = [];
    for (let s = day * SLOTS_PER_DAY + 1; s <= today * SLOTS_PER_DAY; s++) if (!inOutage(load, s - 1)) expected.push(utcOfSlot(load, s));
    assert.equal(expected.length, SLOTS_PER_DAY - (o[1] - o[0]));
    assert.deepEqual(rows.map((r) => time(r[0]!)), expected);
    // the daily billing delta equals the sum of yesterday's intervals (A+ total is column 1 of both)
    const billing = rowsOf(await d.get(7, '1.0.98.2.0.255', 2, rangeAccess({ restrictingObject: clockCol, fromValue: stamp(utcOfSlot(load, day * SLOTS_PER_DAY)), toValue: stamp(to), selectedValues: [] })));
    assert.equal(billing.length, 2);
    assert.equal(num(billing[1]![1]!) - num(billing[0]![1]!), rows.reduce((s, r) => s + num(r[1]!), 0));
    const power = rowsOf(await d.get(7, '0.0.99.98.2.255', 2, rangeAccess({ restrictingObject: clockCol, fromValue: stamp(from), toValue: stamp(to), selectedValues: [] })));
    const dayStart = utcOfSlot(load, day * SLOTS_PER_DAY);
    assert.deepEqual(
      power.map((r) => [time(r[0]!), num(r[1]!)]),
      [
        [dayStart + o[0] * 900_000, 1],
        [dayStart + o[1] * 900_000, 2],
      ],
    );
    d.socket.destroy();
  });
});

test('a locked relay refuses to switch: temporary-failure, lock state 1, a "refused" event in the journal', async () => {
  await withMeter([{ relayLocked: true }], async (port) => {
    const d = await open(port, PUBLIC);
    assert.equal(decodeRelayLock(await d.get(1, '0.128.96.3.10.255', 2))?.name, 'locked');
    d.client.action({ classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 }, { type: 'integer', value: 0 });
    const r = await d.until(['action-response']);
    assert.equal(r.type === 'action-response' && r.result, ActionResult.temporaryFailure);
    assert.equal(num(await d.get(70, '0.0.96.3.10.255', 3)), 1); // still connected
    const journal = rowsOf(await d.get(7, '0.0.99.98.4.255', 2));
    assert.equal(num(journal.at(-1)![1]!), RelayEvent.refused);
    d.socket.destroy();
  });
});
