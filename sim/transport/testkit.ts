/**
 * Test helpers: the codec's client role (DlmsClientConnection) driven over a real socket against the
 * simulator, with a wait for the next event of given types.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import type { SelectiveAccess } from '../../decoders/dlms/apdu/index.js';
import { DlmsClientConnection, type ClientEvent, type ConnectionSettingsInit } from '../../decoders/dlms/connection/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';

export class Driver {
  readonly events: ClientEvent[] = [];
  closed = false;
  private wake: (() => void) | undefined;
  constructor(
    readonly socket: Socket,
    readonly client: DlmsClientConnection,
  ) {
    socket.on('data', (d) => {
      client.receiveData(new Uint8Array(d));
      this.flush();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }
  flush(): void {
    for (const b of this.client.takeOutgoing()) this.socket.write(b);
    for (let e = this.client.nextEvent(); e; e = this.client.nextEvent()) this.events.push(e);
    this.wake?.();
  }
  /** The next event of one of `types`, or undefined after `timeoutMs`. */
  async next(types: ClientEvent['type'][], timeoutMs = 10_000): Promise<ClientEvent | undefined> {
    this.flush();
    const until = Date.now() + timeoutMs;
    for (;;) {
      const at = this.events.findIndex((e) => types.includes(e.type));
      if (at >= 0) return this.events.splice(at, 1)[0]!;
      if (Date.now() >= until) return undefined;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, Math.min(50, until - Date.now()));
      });
    }
  }
  async until(types: ClientEvent['type'][], timeoutMs?: number): Promise<ClientEvent> {
    const e = await this.next(types, timeoutMs);
    if (!e) throw new Error(`no ${types.join('/')} event; got ${JSON.stringify(this.events.map((x) => x.type))}`);
    return e;
  }
  async get(classId: number, obis: string, attributeId: number, access?: SelectiveAccess): Promise<DlmsData> {
    this.client.get({ classId, instanceId: parseObis(obis), attributeId }, access);
    const e = await this.until(['get-response']);
    assert.ok(e.type === 'get-response' && e.result.type === 'data', JSON.stringify(e));
    return (e as { result: { value: DlmsData } }).result.value;
  }
}

/** A client connection to a TCP port (link not yet set up). */
export async function dial(port: number, settings: ConnectionSettingsInit): Promise<Driver> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  return new Driver(socket, new DlmsClientConnection(settings, { random: (n) => new Uint8Array(randomBytes(n)) }));
}

/** Connects the link and associates; fails unless associated. */
export async function open(port: number, settings: ConnectionSettingsInit): Promise<Driver> {
  const d = await dial(port, settings);
  d.client.connect();
  await d.until(['link-connected']);
  d.client.associate();
  const a = await d.until(['associated', 'association-rejected', 'authentication-failed']);
  assert.equal(a.type, 'associated', JSON.stringify(a));
  return d;
}
