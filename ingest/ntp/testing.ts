/** Test support: a tiny SNTP server on loopback whose clock runs `skewMs` from the local one (or answers a kiss-o'-death). */
import { createSocket } from 'node:dgram';
import { sntpReply } from '../../decoders/ntp/sntp.js';

export interface TestSntpServer {
  /** "127.0.0.1:<port>" */
  address: string;
  /** The server's clock minus the local one. */
  skewMs: number;
  /** Answer with stratum 0 (a kiss-o'-death: "go away"). */
  kiss: boolean;
  close(): Promise<void>;
}

export async function startSntpServer(skewMs = 0): Promise<TestSntpServer> {
  const socket = createSocket('udp4');
  const server: TestSntpServer = {
    address: '', skewMs, kiss: false,
    close: () => new Promise((r) => socket.close(() => r())),
  };
  socket.on('message', (msg, from) => {
    const at = Date.now() + server.skewMs;
    socket.send(sntpReply(msg, at, at, server.kiss ? 0 : 2), from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  server.address = `127.0.0.1:${socket.address().port}`;
  return server;
}
