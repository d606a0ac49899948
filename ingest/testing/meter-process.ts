/**
 * Meters in their own process, for benchmarks (the meter side must not share the HES's event loop):
 *   node --import tsx ingest/testing/meter-process.ts [--framing wrapper|hdlc] [--meters N] [--profile P]
 *     → a simulator fleet (sim/, every security level) on a free port; prints {"port":N}; each line read on
 *       stdin is answered with {"cpuUs":N,"systemUs":N} (CPU used so far, and the kernel's part of it); serves until stdin closes
 *   node --import tsx ingest/testing/meter-process.ts --dial HOST:PORT --count N  → opens N connections that
 *     identify as "SN:BENCH-<i>" (CENC held-connection benchmark), prints {"open":N}, holds them until stdin closes
 *   node --import tsx ingest/testing/meter-process.ts --dial-udp HOST:PORT --count N [--bind ADDRESS] → the same
 *     over UDP: N sockets bound to ADDRESS (e.g. 127.0.0.2: each address has its own ephemeral ports) each send
 *     one identification datagram, paced so that the listener's receive buffer does not overflow
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startSimMeters } from './sim-meters.js';

const { values } = parseArgs({
  options: { framing: { type: 'string' }, meters: { type: 'string' }, profile: { type: 'string' }, dial: { type: 'string' }, 'dial-udp': { type: 'string' }, bind: { type: 'string' }, count: { type: 'string' }, offset: { type: 'string' } },
});
const framing = values.framing === 'hdlc' ? 'hdlc' : 'wrapper';

async function dial(target: string, count: number, offset: number): Promise<Socket[]> {
  const [host, port] = target.split(':');
  const sockets: Socket[] = [];
  let i = 0;
  const opener = async (): Promise<void> => {
    while (i < count) {
      const n = offset + i++;
      const s = connect({ host: host!, port: Number(port) });
      s.on('error', () => undefined);
      await new Promise<void>((resolve) => {
        s.once('connect', () => {
          s.write(`SN:BENCH-${n}\n`);
          resolve();
        });
        s.once('error', () => resolve());
      });
      sockets.push(s);
    }
  };
  await Promise.all(Array.from({ length: 64 }, opener));
  return sockets;
}

/** UDP "connections": one socket per meter (its own source port), one identification datagram each. */
async function dialUdp(target: string, count: number, offset: number, bind: string): Promise<UdpSocket[]> {
  const [host, port] = target.split(':');
  const sockets: UdpSocket[] = [];
  for (let i = 0; i < count; i++) {
    const s = createSocket('udp4');
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.bind(0, bind, resolve));
    s.send(`SN:BENCH-${offset + i}\n`, Number(port), host!);
    sockets.push(s);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20)); // ≈ 5,000 datagrams/s
  }
  return sockets;
}

if (values['dial-udp']) {
  const sockets = await dialUdp(values['dial-udp'], Number(values.count ?? 1000), Number(values.offset ?? 0), values.bind ?? '127.0.0.1');
  process.stdout.write(JSON.stringify({ open: sockets.length }) + '\n');
} else if (values.dial) {
  const sockets = await dial(values.dial, Number(values.count ?? 1000), Number(values.offset ?? 0));
  process.stdout.write(JSON.stringify({ open: sockets.filter((s) => !s.destroyed).length }) + '\n');
} else {
  const fleet = { meters: Number(values.meters ?? 1000), ...(values.profile ? { profile: values.profile } : {}) };
  const m = await startSimMeters({ framing, fleet });
  process.stdout.write(JSON.stringify({ port: m.port }) + '\n');
  createInterface({ input: process.stdin }).on('line', () => {
    const u = process.cpuUsage();
    process.stdout.write(JSON.stringify({ cpuUs: u.user + u.system, systemUs: u.system }) + '\n');
  });
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
