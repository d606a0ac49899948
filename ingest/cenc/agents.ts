/**
 * AMR agents: named, authenticated programs (AdminTools, another HES, ...) that open a transparent session
 * to a meter held by CENC. An agent sees the devices of the groups it was granted and the devices in no
 * group; an agent with extended rights sees every device (seed 003 §2.2.18). Group changes apply to
 * sessions opened afterwards.
 *
 * The agent port speaks a line protocol, then becomes a transparent pipe:
 *   agent → LOGIN <name> <password>\n        ← OK\n | ERR authentication failed\n (closed)
 *   agent → OPEN <serial | IMEI | device id>\n ← OK <device id>\n | ERR <reason>\n
 *   after OK: bytes both ways unchanged (the agent speaks DLMS itself) until the agent closes; the meter's
 *   connection is then given back to CENC. One agent session per meter at a time, queued behind HES sessions.
 * A meter held by another CENC node (`elsewhere`) is reached through that node's agent port: this node signs in
 * there with the agent's own name and password, opens the meter, and relays the bytes; the holding node checks
 * the agent's rights and records the access.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ByteTransport } from '../transport/transport.js';
import type { DeviceDirectory, DeviceIdentity, DeviceRecord } from './directory.js';
import type { CencServer } from './server.js';

export interface AmrAgent {
  name: string;
  /** The agent's project: it sees no device of another project. Absent: any project. */
  projectId?: string;
  groupIds: string[];
  /** Extended rights: every device (of its project, when it has one). */
  extended: boolean;
}

/** The access rule: extended agents see all; others the devices of their groups and those in no group. */
export function agentMaySee(agent: AmrAgent, device: DeviceRecord): boolean {
  if (agent.projectId !== undefined && agent.projectId !== device.projectId) return false;
  return agent.extended || device.groupIds.length === 0 || device.groupIds.some((g) => agent.groupIds.includes(g));
}

export interface AgentServerOptions {
  cenc: CencServer;
  directory: DeviceDirectory;
  /** The agent with this name and password, or undefined (asked at each login, so edits apply to new sessions). */
  authenticate: (name: string, password: string) => Promise<AmrAgent | undefined>;
  port: number;
  host?: string;
  /** The agent port of the node holding a device this node does not hold (registry/cenc-connections.ts). */
  elsewhere?: (deviceId: string) => Promise<{ host: string; port: number } | undefined>;
  /** Recording an access failed (the registry is unreachable). */
  onError?: (e: unknown, context: string) => void;
  /** Failed logins per agent name and address before further attempts are refused for `lockMs` (default 5, 5 min). */
  maxFailures?: number;
  lockMs?: number;
}

const MAX_LINE = 256;

export class AmrAgentServer {
  private server: Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  /** Failed logins by "name|address": guessing passwords is slowed by scrypt and stopped by the lock. */
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(private readonly o: AgentServerOptions) {}

  async start(): Promise<number> {
    const server = createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host ?? '0.0.0.0', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise((r) => this.server!.close(r));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let text = '';
    let agent: AmrAgent | undefined;
    /** The credentials of this connection's sign-in, kept in memory to sign in at another node for it. */
    let credentials: [string, string] | undefined;
    let busy = false;
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (text.length > MAX_LINE) return void this.refuse(socket, 'line too long');
      if (busy) return;
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      const line = text.slice(0, nl).replace(/\r$/, '');
      text = text.slice(nl + 1);
      busy = true;
      void this.command(socket, line, agent, credentials)
        .then((r) => {
          busy = false;
          if (r.agent) {
            agent = r.agent;
            credentials = r.credentials;
          }
          if (r.relay) {
            socket.off('data', onData);
            relay(socket, r.relay, text);
          } else if (r.meter && r.device && agent) {
            socket.off('data', onData);
            this.pipe(socket, r.meter, text, r.device, agent);
          } else if (text.includes('\n')) onData(Buffer.alloc(0));
        })
        .catch(() => this.refuse(socket, 'internal error'));
    };
    socket.on('data', onData);
  }

  private async command(
    socket: Socket, line: string, agent: AmrAgent | undefined, credentials: [string, string] | undefined,
  ): Promise<{ agent?: AmrAgent; credentials?: [string, string]; meter?: ByteTransport; device?: DeviceRecord; relay?: Socket }> {
    const [verb, ...args] = line.split(' ');
    if (verb === 'LOGIN' && args.length === 2) {
      const key = `${args[0]!.toLowerCase()}|${socket.remoteAddress}`;
      const now = Date.now();
      const f = this.failures.get(key);
      const a = f && f.lockedUntil > now ? undefined : await this.o.authenticate(args[0]!, args[1]!);
      if (!a) {
        if (!f || f.lockedUntil > 0 && f.lockedUntil <= now) this.failures.set(key, { count: 1, lockedUntil: 0 });
        else if (f.lockedUntil <= now && ++f.count >= (this.o.maxFailures ?? 5)) f.lockedUntil = now + (this.o.lockMs ?? 300_000);
        if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value!);
        this.refuse(socket, 'authentication failed');
        return {};
      }
      this.failures.delete(key);
      socket.write('OK\n');
      return { agent: a, credentials: [args[0]!, args[1]!] };
    }
    if (verb === 'OPEN' && args.length === 1) {
      if (!agent) {
        this.refuse(socket, 'LOGIN first');
        return {};
      }
      const device = await this.findDevice(args[0]!);
      const held = device && this.o.cenc.connected(device.deviceId);
      const there = device && !held && credentials ? await this.o.elsewhere?.(device.deviceId) : undefined;
      if (there) {
        const remote = await openAt(there, credentials!, device!.deviceId);
        socket.write(remote.reply);
        if (!remote.socket || socket.destroyed) remote.socket?.destroy();
        return remote.socket ? { relay: remote.socket } : {};
      }
      if (!device || !held) {
        socket.write('ERR not connected\n');
        return {};
      }
      if (!agentMaySee(agent, device)) {
        socket.write('ERR access denied\n');
        return {};
      }
      const meter = await this.o.cenc.lease(device.deviceId);
      if (socket.destroyed) {
        meter.close();
        return {};
      }
      socket.write(`OK ${device.deviceId}\n`);
      return { meter, device };
    }
    socket.write('ERR unknown command\n');
    return {};
  }

  private async findDevice(text: string): Promise<DeviceRecord | undefined> {
    const held = this.o.cenc.connected(text);
    if (held) return (await this.o.directory.get(text)) ?? held.device;
    const kinds: DeviceIdentity['kind'][] = /^\d{15}$/.test(text) ? ['imei', 'serial'] : ['serial', 'logical-device-name'];
    for (const kind of kinds) {
      const d = await this.o.directory.find({ kind, value: text });
      if (d) return d;
    }
    return undefined;
  }

  /** Transparent mode: the agent's bytes to the meter and back, until either side ends; recorded as an access. */
  private pipe(socket: Socket, meter: ByteTransport, rest: string, device: DeviceRecord, agent: AmrAgent): void {
    const access = (type: 'access-start' | 'access-finish') => this.o.directory.recordEvent({
      type, at: Date.now(), deviceId: device.deviceId, remote: `tcp:${socket.remoteAddress}:${socket.remotePort}`, port: this.port, detail: `agent ${agent.name}`,
    }).catch((e: unknown) => this.o.onError?.(e, `recording ${type} of ${device.deviceId}`));
    void access('access-start');
    meter.attach({ onData: (c) => socket.write(c), onClose: () => socket.end() });
    socket.on('data', (c: Buffer) => meter.write([c]));
    socket.on('close', () => {
      meter.close();
      void access('access-finish');
    });
    if (rest) meter.write([Buffer.from(rest, 'latin1')]);
  }

  private refuse(socket: Socket, reason: string): void {
    socket.end(`ERR ${reason}\n`);
  }
}

/** Signs in at another node's agent port with the agent's credentials and opens the meter there; its reply line is the agent's. */
async function openAt(at: { host: string; port: number }, [name, password]: [string, string], deviceId: string): Promise<{ reply: string; socket?: Socket }> {
  const socket = connect(at.port, at.host);
  socket.setNoDelay(true);
  let buffered = '';
  const line = () => new Promise<string>((resolve, reject) => {
    const done = (): boolean => {
      const nl = buffered.indexOf('\n');
      if (nl < 0) return false;
      const l = buffered.slice(0, nl + 1);
      buffered = buffered.slice(nl + 1);
      socket.off('data', onData).off('close', onClose);
      socket.pause(); // what follows the reply waits for the relay
      resolve(l);
      return true;
    };
    const onData = (c: Buffer) => {
      buffered += c.toString('latin1');
      if (buffered.length > MAX_LINE) reject(new Error('line too long'));
      done();
    };
    const onClose = () => reject(new Error('closed'));
    if (!done()) {
      socket.on('data', onData).once('close', onClose);
      socket.resume();
    }
  });
  socket.on('error', () => undefined);
  try {
    socket.write(`LOGIN ${name} ${password}\nOPEN ${deviceId}\n`);
    if ((await line()) !== 'OK\n') throw new Error('sign-in refused');
    const reply = await line();
    if (!reply.startsWith('OK ')) {
      socket.destroy();
      return { reply };
    }
    if (buffered) socket.unshift(Buffer.from(buffered, 'latin1'));
    return { reply, socket };
  } catch {
    socket.destroy();
    return { reply: 'ERR not connected\n' };
  }
}

/** Bytes both ways between the agent and the node holding the meter, until either side ends. */
function relay(agent: Socket, node: Socket, rest: string): void {
  if (rest) node.write(Buffer.from(rest, 'latin1'));
  agent.pipe(node);
  node.pipe(agent);
  agent.on('close', () => node.destroy());
  node.on('close', () => agent.end());
}
