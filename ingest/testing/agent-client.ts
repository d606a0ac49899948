/**
 * An AMR agent's side of the agent port's line protocol (ingest/cenc/agents.ts), for tests: sends each line,
 * collects each reply, stops at the first that is not OK. The socket stays open: after `OK <device id>` it is
 * the transparent pipe to the meter.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export async function agentLines(port: number, lines: string[]): Promise<{ replies: string[]; socket: Socket }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const replies: string[] = [];
  let buf = '';
  for (const line of lines) {
    socket.write(line + '\n');
    while (!buf.includes('\n')) {
      const [chunk] = (await Promise.race([once(socket, 'data'), once(socket, 'close').then(() => [Buffer.from('CLOSED\n')])])) as [Buffer];
      buf += chunk.toString('latin1');
    }
    const nl = buf.indexOf('\n');
    replies.push(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (!replies.at(-1)!.startsWith('OK')) break;
  }
  return { replies, socket };
}
