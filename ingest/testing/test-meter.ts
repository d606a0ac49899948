/**
 * A small meter over real sockets for what the fleet simulator (sim/, see sim-meters.ts) cannot do: faults
 * injected on demand per server (drop or delay frames either way, accept one client per port, stay silent),
 * HLS-GMAC without ciphering, a buffer ending with an empty block, and the CENC tests' meter-initiated sockets.
 * The codec's DlmsServerConnection answers the protocol, the connection testkit's SimulatedMeter answers
 * GET / SET / ACTION from a table.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { encodeDateTime, dateTimeFromUtcMs } from '../../decoders/dlms/axdr/datetime.js';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { fromHex } from '../../decoders/dlms/axdr/writer.js';
import { DlmsServerConnection, type ServerAssociation, type ServerSettingsInit } from '../../decoders/dlms/connection/index.js';
import { attr, SimulatedMeter } from '../../decoders/dlms/connection/testkit.js';
import { encodeCaptureObjects, type CaptureObject } from '../../decoders/dlms/cosem/profile-generic.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { encodeScalerUnit } from '../../decoders/dlms/units.js';

/** Green Book / Gurux example keys (EK 000102..0F, AK D0D1..DF), as the codec's own tests use. */
export const TEST_KEYS = {
  blockCipherKey: fromHex('000102030405060708090A0B0C0D0E0F'),
  authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'),
};
export const CLIENT_TITLE = fromHex('4D4D4D0000BC614E');
export const METER_TITLE = fromHex('4D4D4D0000000001');
export const LOAD_PROFILE = '1.0.99.1.0.255';
/** Midnight UTC of the day whose 96 quarter-hours the load profile holds. */
export const PROFILE_DAY_MS = Date.UTC(2024, 0, 1);

const ACTIVE_ENERGY = '1.0.1.8.0.255';

/** The associations of the test meter: public (16, none), reading (32, LLS "12345678"), management (1, HLS-GMAC + ciphering). */
export function testAssociations(): ServerAssociation[] {
  return [
    { clientAddress: 16, authentication: 'none', securityPolicy: 'none' },
    { clientAddress: 32, authentication: 'low', password: '12345678', securityPolicy: 'none' },
    { clientAddress: 1, authentication: 'high-gmac', securityPolicy: 'authenticated-and-encrypted', keys: TEST_KEYS },
    { clientAddress: 48, authentication: 'high-gmac', securityPolicy: 'none', keys: TEST_KEYS },
  ];
}

function stamp(ms: number): DlmsData {
  return { type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(ms, 0)) };
}

/** Clock, one register with scaler, a day of 15-minute load profile (time, A+, A-, status), a disconnector. */
export function testMeterTable(days = 1): SimulatedMeter {
  const columns: CaptureObject[] = [
    { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 },
    { classId: 3, logicalName: parseObis(ACTIVE_ENERGY), attributeIndex: 2, dataIndex: 0 },
    { classId: 3, logicalName: parseObis('1.0.2.8.0.255'), attributeIndex: 2, dataIndex: 0 },
    { classId: 1, logicalName: parseObis('0.0.96.10.1.255'), attributeIndex: 2, dataIndex: 0 },
  ];
  const rows: DlmsData[] = [];
  for (let i = 0; i < 96 * days; i++) {
    rows.push({
      type: 'structure',
      value: [
        stamp(PROFILE_DAY_MS + i * 900_000),
        { type: 'double-long-unsigned', value: 100_000 + i * 7 },
        { type: 'double-long-unsigned', value: i },
        { type: 'unsigned', value: 0 },
      ],
    });
  }
  const wh = encodeScalerUnit({ scaler: 0, unit: 30 });
  return new SimulatedMeter()
    .set(attr(8, '0.0.1.0.0.255', 2), stamp(PROFILE_DAY_MS + 86_400_000))
    .set(attr(3, ACTIVE_ENERGY, 2), { type: 'double-long-unsigned', value: 1_234_567 })
    .set(attr(3, ACTIVE_ENERGY, 3), encodeScalerUnit({ scaler: -1, unit: 30 }))
    .set(attr(3, '1.0.2.8.0.255', 3), wh)
    .set(attr(7, LOAD_PROFILE, 3), encodeCaptureObjects(columns))
    .set(attr(7, LOAD_PROFILE, 2), { type: 'array', value: rows })
    .set(attr(1, '0.0.42.0.0.255', 2), { type: 'octet-string', value: new TextEncoder().encode('TST0000000000001') })
    .set(attr(70, '0.0.96.3.10.255', 2), { type: 'boolean', value: true });
}

export interface Faults {
  /** Drop this many of the next frames the meter receives (requests lost on the way). */
  dropRequests?: number;
  /** Drop this many of the next frames the meter sends. */
  dropResponses?: number;
  /** Flip the last byte but one (HDLC: the FCS; ciphered APDUs: the tag) of this many of the next answers the meter sends. */
  corruptResponses?: number;
  /** Delay every answer by this many ms. */
  delayMs?: number;
  /** Answer nothing at all. */
  silent?: boolean;
}

export interface TestMeterOptions {
  settings?: Partial<ServerSettingsInit>;
  table?: SimulatedMeter;
  /** Refuse a second TCP client while one is connected (some meters and modems do). */
  oneClient?: boolean;
  faults?: Faults;
  port?: number;
}

export class TestMeter {
  readonly table: SimulatedMeter;
  faults: Faults;
  readonly sockets = new Set<Socket>();
  connections = 0;
  /** The meter's own invocation counter survives its connections, as a real meter's does. */
  invocationCounter = 0;
  private readonly server: Server;

  private constructor(private readonly o: TestMeterOptions) {
    this.table = o.table ?? testMeterTable();
    this.faults = { ...o.faults };
    this.server = createServer((s) => this.accept(s));
  }

  static async start(o: TestMeterOptions = {}): Promise<TestMeter> {
    const m = new TestMeter(o);
    await new Promise<void>((resolve) => m.server.listen(o.port ?? 0, '127.0.0.1', resolve));
    return m;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  /** Serve one connection's bytes with a fresh server connection (also for CENC tests, on a socket the meter opened). */
  serve(socket: Socket): DlmsServerConnection {
    const conn = new DlmsServerConnection(
      { framing: 'wrapper', systemTitle: METER_TITLE, associations: testAssociations(), ...this.o.settings, invocationCounter: this.invocationCounter },
      { random: randomBytes },
    );
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const f = this.faults;
      if (f.silent) return;
      if (f.dropRequests) {
        f.dropRequests--;
        return;
      }
      conn.receiveData(chunk);
      for (let e = conn.nextEvent(); e; e = conn.nextEvent()) this.table.serve(conn, e);
      this.invocationCounter = Math.max(this.invocationCounter, conn.invocationCounter);
      const out = conn.takeOutgoing();
      if (out.length === 0) return;
      if (f.dropResponses) {
        f.dropResponses--;
        return;
      }
      if (f.corruptResponses) {
        f.corruptResponses--;
        const frame = Buffer.from(out[0]!);
        frame[frame.length - 2] ^= 0x10;
        out[0] = frame;
      }
      const send = (): void => {
        if (socket.destroyed) return;
        socket.cork();
        for (const b of out) socket.write(b);
        socket.uncork();
      };
      if (f.delayMs) setTimeout(send, f.delayMs);
      else send();
    });
    return conn;
  }

  private accept(socket: Socket): void {
    if (this.o.oneClient && this.sockets.size > 0) {
      socket.destroy();
      return;
    }
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.serve(socket);
  }
}
