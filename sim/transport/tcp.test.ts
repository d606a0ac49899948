import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateTimeToUtcMs } from '../../decoders/dlms/axdr/datetime.js';
import type { ConnectionSettingsInit } from '../../decoders/dlms/connection/index.js';
import { ActionResult, rangeAccess } from '../../decoders/dlms/apdu/index.js';
import { clockAttributes, compileRowLayout, decodeCaptureObjects, profileRowsFromData, registerAttributes } from '../../decoders/dlms/cosem/index.js';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet } from '../fleet.js';
import { HDLC_PHYSICAL_BASE, WPORT_BASE } from './addressing.js';
import { ClientSap } from './session.js';
import { startTcp } from './tcp.js';
import { dial, open } from './testkit.js';

const NOW = Date.UTC(2025, 2, 10, 9, 34, 56);

for (const framing of ['hdlc', 'wrapper'] as const) {
  test(`${framing}: no auth, LLS and HLS-GMAC sessions read clock, registers and a load profile by range`, async () => {
    const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 3, security: 'high-gmac' }, () => NOW);
    const tcp = await startTcp({ fleet, framing, port: 0 });
    try {
      for (const [index, auth] of [
        [0, 'none'],
        [1, 'low'],
        [2, 'high-gmac'],
      ] as const) {
        const k = fleet.keys(index);
        const address: ConnectionSettingsInit =
          framing === 'hdlc'
            ? index === 0
              ? { serverLogicalAddress: 1, serverAddressSize: 1 }
              : { serverLogicalAddress: 1, serverPhysicalAddress: HDLC_PHYSICAL_BASE + index, serverAddressSize: 4 }
            : { serverWPort: index === 0 ? 1 : WPORT_BASE + index };
        const security: ConnectionSettingsInit =
          auth === 'none'
            ? { clientAddress: ClientSap.public }
            : auth === 'low'
              ? { clientAddress: ClientSap.reader, authentication: 'low', password: k.password }
              : {
                  clientAddress: ClientSap.management,
                  authentication: 'high-gmac',
                  securityPolicy: 'authenticated-and-encrypted',
                  keys: { blockCipherKey: k.blockCipherKey, authenticationKey: k.authenticationKey },
                  systemTitle: new TextEncoder().encode('HES00001'),
                  serverSystemTitle: k.systemTitle,
                };
        const d = await open(tcp.ports[0]!, { framing, ...address, ...security });
        const time = clockAttributes.time.decode(await d.get(8, '0.0.1.0.0.255', 2));
        assert.equal(dateTimeToUtcMs(time), NOW);
        const sn = await d.get(1, '0.0.96.1.0.255', 2);
        assert.deepEqual(sn, { type: 'visible-string', value: fleet.serial(index) });
        const total = registerAttributes.value.decode(await d.get(3, '1.0.1.8.0.255', 2)) as { value: number };
        const co = await d.get(7, '1.0.99.1.0.255', 3);
        const clockCol = decodeCaptureObjects(co)[0]!;
        const at = (h: number) => clockAttributes.time.encode({ ...time, hour: h, minute: 0, second: 0, hundredths: 0 });
        const buffer = await d.get(7, '1.0.99.1.0.255', 2, rangeAccess({ restrictingObject: clockCol, fromValue: at(0), toValue: at(12), selectedValues: [] }));
        const rows = profileRowsFromData(buffer, compileRowLayout(decodeCaptureObjects(co)));
        assert.equal(rows.length, 25);
        // the register reading now = this morning's rows + what the register had at midnight
        const midnight = await d.get(7, '1.0.98.2.0.255', 2, rangeAccess({ restrictingObject: clockCol, fromValue: at(0), toValue: at(0), selectedValues: [] }));
        const atMidnight = ((midnight as { value: { value: DlmsData[] }[] }).value[0]!.value[1] as { value: number }).value;
        const sinceMidnight = rows.slice(1).reduce((s, r) => s + (r.values[0] as number), 0);
        const growth = total.value - (atMidnight + sinceMidnight); // 12:00 → 12:34:56
        assert.ok(growth >= 0 && growth < 20_000, `${total.value} vs ${atMidnight} + ${sinceMidnight}`);
        if (auth === 'high-gmac') {
          d.client.action({ classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 }, { type: 'integer', value: 0 });
          const r = await d.until(['action-response']);
          assert.equal(r.type === 'action-response' && r.result, ActionResult.success);
        }
        d.client.release();
        await d.until(['released']);
        d.socket.destroy();
      }
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(fleet.counters[2]! > 0, 'the HLS meter counted its ciphered APDUs');
      assert.equal(fleet.changedMeters, 1); // only the meter whose relay was switched keeps a state
    } finally {
      await tcp.close();
    }
  });
}

test('a meter with wrong keys refuses HLS', async () => {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 1, security: 'high-gmac', faults: [{ wrongKeys: true }] }, () => NOW);
  const tcp = await startTcp({ fleet, framing: 'wrapper', port: 0 });
  try {
    const k = fleet.keys(0);
    const d = await dial(tcp.ports[0]!, { framing: 'wrapper', clientAddress: 48, authentication: 'high-gmac', securityPolicy: 'authenticated-and-encrypted', keys: { blockCipherKey: k.blockCipherKey, authenticationKey: k.authenticationKey }, systemTitle: new TextEncoder().encode('HES00001'), serverSystemTitle: k.systemTitle });
    d.client.connect();
    await d.until(['link-connected']);
    d.client.associate();
    const e = await d.until(['associated', 'association-rejected', 'authentication-failed', 'error']);
    assert.notEqual(e.type, 'associated');
    d.socket.destroy();
  } finally {
    await tcp.close();
  }
});

test('answers in APDUs no larger than the meter\'s own buffer (the profile\'s maxPduSize), in blocks above it, however much a client proposes', async () => {
  for (const profile of ['ce308', 'ce208'] as const) {
    const fleet = new Fleet({ ...DEFAULT_FLEET, profile, meters: 1 }, () => NOW);
    const tcp = await startTcp({ fleet, framing: 'wrapper', port: 0 });
    try {
      const d = await open(tcp.ports[0]!, { framing: 'wrapper', serverWPort: 1, clientAddress: ClientSap.public, maxReceivePduSize: 0xffff });
      // Every WPDU the meter sends, as an independent client sees them on the wire (8-byte header, then the APDU).
      const apdus: number[] = [];
      let wire = Buffer.alloc(0);
      d.socket.on('data', (chunk: Buffer) => {
        wire = Buffer.concat([wire, chunk]);
        while (wire.length >= 8 && wire.length >= 8 + wire.readUInt16BE(6)) {
          apdus.push(wire.readUInt16BE(6));
          wire = wire.subarray(8 + wire.readUInt16BE(6));
        }
      });
      // The association's object list: several kilobytes, which a client proposing 0xFFFF would take in one APDU.
      const list = await d.get(15, '0.0.40.0.0.255', 2);
      assert.equal(list.type, 'array');
      const whole = apdus.reduce((a, b) => a + b, 0);
      assert.ok(whole > 3 * fleet.profile.maxPduSize, `the object list took ${whole} bytes`);
      assert.ok(apdus.length > 3, `${apdus.length} APDUs`);
      assert.ok(apdus.every((n) => n <= fleet.profile.maxPduSize), `${profile} APDU sizes ${apdus.join(' ')} within ${fleet.profile.maxPduSize}`);
      d.socket.destroy();
    } finally {
      await tcp.close();
    }
  }
});
