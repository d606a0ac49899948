/**
 * Meter-initiated connections (GPRS modems): each meter connects out to the HES, announces itself
 * with a modem identification packet and/or a DataNotification push, then answers requests on that
 * connection. A lost connection is re-opened after an exponential back-off; a simulated power loss
 * sends a "last gasp" notification first. With several HES addresses (the nodes of a CENC scale-out, as a
 * modem's primary and backup address), meter i dials address i mod n first and, when a connection is lost
 * or fails, the next one.
 *
 * Identification packet (our format, documented in docs/simulator.md): ASCII `ID:<IMEI>;SN:<serial>\r\n`.
 */
import { connect, type Socket } from 'node:net';
import type { Fleet } from '../fleet.js';
import { seedOf } from '../model/hash.js';
import { POWER_DOWN_PUSH } from '../objects/push.js';
import { MeterSession } from './session.js';

export interface InitiatedOptions {
  fleet: Fleet;
  framing: 'hdlc' | 'wrapper';
  host: string;
  port: number;
  /** Further HES addresses to spread the meters over and to fail over to (the first is host:port). */
  alternates?: { host: string; port: number }[];
  /** 'id': identification packet; 'push': DataNotification (wrapper only: HDLC has no link yet); 'both'. */
  announce: 'id' | 'push' | 'both';
  /** Back-off of reconnection, ms: first delay and cap (default 1 s … 60 s). */
  backoffMs?: [number, number];
  /** Which meters dial in (default all). */
  meters?: number[];
}

/** A 15-digit IMEI (TAC 35 + digits from the serial + Luhn check digit) for the modem of a meter. */
export function imeiOf(serial: string): string {
  const body = ('35' + String(seedOf(serial)).padStart(10, '0') + serial.slice(-12)).slice(0, 14);
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = Number(body[13 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export interface InitiatedFleet {
  readonly connected: number;
  /** Power loss: last gasp, then the connection drops and returns after `offMs`. */
  lastGasp(index: number, offMs?: number): void;
  /** Sends a Push Setup's DataNotification on the meter's connection (false: not connected). */
  push(index: number, setupObis: string): boolean;
  close(): void;
}

export function startInitiated(o: InitiatedOptions): InitiatedFleet {
  const [first, cap] = o.backoffMs ?? [1000, 60_000];
  const links = new Map<number, { socket: Socket; session: MeterSession | undefined }>();
  const delays = new Map<number, number>();
  const targets = [{ host: o.host, port: o.port }, ...(o.alternates ?? [])];
  const target = new Map<number, number>();
  let stopped = false;
  let connected = 0;

  const dial = (index: number): void => {
    if (stopped) return;
    const at = targets[(target.get(index) ?? index) % targets.length]!;
    const socket = connect(at.port, at.host);
    socket.setNoDelay(true);
    const link = { socket, session: undefined as MeterSession | undefined };
    links.set(index, link);
    socket.on('connect', () => {
      connected++;
      delays.delete(index);
      const session = new MeterSession(o.fleet, index, { framing: o.framing, serverLogicalAddress: 1, serverAddressSize: 1, serverWPort: 1 }, { write: (b) => void socket.write(b), close: () => socket.destroy() });
      link.session = session;
      if (o.announce !== 'push') socket.write(`ID:${imeiOf(o.fleet.serial(index))};SN:${o.fleet.serial(index)}\r\n`);
      if (o.announce !== 'id' && o.framing === 'wrapper') session.push();
    });
    socket.on('data', (d: Buffer) => link.session?.receive(new Uint8Array(d.buffer, d.byteOffset, d.length)));
    socket.on('error', () => socket.destroy());
    socket.on('close', (hadConnection) => {
      if (link.session) {
        connected--;
        link.session.close();
      }
      if (links.get(index) !== link || stopped) return;
      links.delete(index);
      if (targets.length > 1) target.set(index, (target.get(index) ?? index) + 1);
      const delay = hadConnection || !delays.has(index) ? first : Math.min(cap, delays.get(index)! * 2);
      delays.set(index, delay);
      setTimeout(() => dial(index), delay * (0.75 + Math.random() / 2)).unref();
    });
  };

  for (const i of o.meters ?? Array.from({ length: o.fleet.size }, (_, k) => k)) dial(i);

  return {
    get connected() {
      return connected;
    },
    lastGasp(index, offMs = 5000) {
      const link = links.get(index);
      if (!link?.session) return;
      links.delete(index);
      // the power-down Push Setup's notification (the last gasp); an HDLC modem without a link just drops
      link.session.push(POWER_DOWN_PUSH);
      link.socket.end();
      setTimeout(() => dial(index), offMs).unref();
    },
    push(index, setupObis) {
      return links.get(index)?.session?.push(setupObis) ?? false;
    },
    close() {
      stopped = true;
      for (const l of links.values()) l.socket.destroy();
      links.clear();
    },
  };
}
