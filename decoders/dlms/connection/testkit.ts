/**
 * Test helpers (not exported by index.ts): a seeded random source, an in-memory pump between a client and a
 * server that cuts the byte stream at random points, and a small simulated meter answering the server's
 * request events from a table of objects.
 */
import type { DlmsData } from '../axdr/types.js';
import { DataAccessResult, ActionResult, parseProfileAccess, type CosemAttributeDescriptor, type GetDataResult, type SelectiveAccess } from '../apdu/index.js';
import { formatObis, parseObis } from '../obis.js';
import type { DlmsClientConnection, ClientEvent } from './client.js';
import type { DlmsServerConnection, ServerEvent } from './server.js';

/** mulberry32: deterministic, so that a failing chunking is reproducible. */
export function seededRandom(seed: number): (length: number) => Uint8Array {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (length) => Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

export interface PumpOptions {
  /** Cut the stream at random points (not for framing 'none', where a chunk is an APDU). */
  chunking?: boolean;
  seed?: number;
  /** Rewrite each server → client unit before delivery (tampering tests). */
  tamper?: (bytes: Uint8Array) => Uint8Array;
  /** Every unit written by either side, in order, for replay tests. */
  trace?: { from: 'client' | 'server'; bytes: Uint8Array }[];
}

export interface Pumped {
  client: ClientEvent[];
  server: ServerEvent[];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function deliver(units: Uint8Array[], to: (chunk: Uint8Array) => void, random: ((n: number) => Uint8Array) | undefined): void {
  if (!random) {
    for (const u of units) to(u);
    return;
  }
  const stream = concat(units);
  for (let off = 0; off < stream.length; ) {
    const n = 1 + (random(1)[0]! % 40);
    to(stream.subarray(off, off + n));
    off += n;
  }
}

/**
 * Move bytes both ways until both sides are quiet; the meter answers the server's requests. Returns the events
 * of both sides that are not requests answered by the meter.
 */
export function pump(client: DlmsClientConnection, server: DlmsServerConnection, meter: SimulatedMeter | undefined, o: PumpOptions = {}): Pumped {
  const random = o.chunking ? seededRandom(o.seed ?? 1) : undefined;
  const out: Pumped = { client: [], server: [] };
  for (let round = 0; round < 10_000; round++) {
    const c2s = client.takeOutgoing();
    const s2c = server.takeOutgoing().map((b) => (o.tamper ? o.tamper(b) : b));
    for (const b of c2s) o.trace?.push({ from: 'client', bytes: b });
    for (const b of s2c) o.trace?.push({ from: 'server', bytes: b });
    if (c2s.length === 0 && s2c.length === 0) {
      for (let e = client.nextEvent(); e; e = client.nextEvent()) out.client.push(e);
      return out;
    }
    deliver(c2s, (c) => server.receiveData(c), random);
    for (let e = server.nextEvent(); e; e = server.nextEvent()) {
      if (!meter?.serve(server, e)) out.server.push(e);
    }
    deliver(s2c, (c) => client.receiveData(c), random);
  }
  throw new Error('pump: no quiet state after 10000 rounds');
}

/** An attribute descriptor from "class/OBIS/attribute". */
export function attr(classId: number, obis: string, attributeId: number): CosemAttributeDescriptor {
  return { classId, instanceId: parseObis(obis), attributeId };
}

function key(a: CosemAttributeDescriptor): string {
  return `${a.classId}/${formatObis(a.instanceId)}/${a.attributeId}`;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * A meter as a table of attribute values. Profile buffers (arrays of structures whose first element is the
 * octet-string time stamp) answer selective access by entry and by range on that time stamp. The disconnect
 * control (class 70, 0.0.96.3.10.255) implements remote_disconnect (1) and remote_reconnect (2).
 */
export class SimulatedMeter {
  readonly values = new Map<string, DlmsData>();
  /** Refuse the next request with an exception-response (service-not-allowed / operation-not-possible). */
  refuseNext = false;

  set(a: CosemAttributeDescriptor, v: DlmsData): this {
    this.values.set(key(a), v);
    return this;
  }

  get(a: CosemAttributeDescriptor): DlmsData | undefined {
    return this.values.get(key(a));
  }

  /** Answer one server event; false when it is not a request. */
  serve(server: DlmsServerConnection, e: ServerEvent): boolean {
    if (this.refuseNext && 'invokeId' in e) {
      this.refuseNext = false;
      server.respondException(e.invokeId, 1);
      return true;
    }
    switch (e.type) {
      case 'get-request':
        server.respondGet(e.invokeId, this.read(e.attribute, e.access));
        return true;
      case 'get-with-list-request':
        server.respondGetWithList(e.invokeId, e.attributes.map((a) => this.read(a.attribute, a.access)));
        return true;
      case 'set-request':
        if (!this.values.has(key(e.attribute))) server.respondSet(e.invokeId, DataAccessResult.objectUndefined);
        else {
          this.values.set(key(e.attribute), e.value);
          server.respondSet(e.invokeId, DataAccessResult.success);
        }
        return true;
      case 'action-request': {
        const m = e.method;
        if (m.classId === 70 && formatObis(m.instanceId) === '0.0.96.3.10.255' && (m.methodId === 1 || m.methodId === 2)) {
          this.set(attr(70, '0.0.96.3.10.255', 2), { type: 'boolean', value: m.methodId === 2 }); // output_state
          server.respondAction(e.invokeId, ActionResult.success);
        } else server.respondAction(e.invokeId, ActionResult.objectUndefined);
        return true;
      }
      default:
        return false;
    }
  }

  private read(a: CosemAttributeDescriptor, access: SelectiveAccess | undefined): GetDataResult {
    const v = this.values.get(key(a));
    if (!v) return { type: 'data-access-result', value: DataAccessResult.objectUndefined };
    if (!access) return { type: 'data', value: v };
    if (v.type !== 'array') return { type: 'data-access-result', value: DataAccessResult.objectClassInconsistent };
    const p = parseProfileAccess(access);
    if ('entry' in p) {
      const to = p.entry.toEntry === 0 ? v.value.length : p.entry.toEntry;
      return { type: 'data', value: { type: 'array', value: v.value.slice(p.entry.fromEntry - 1, to) } };
    }
    if ('range' in p) {
      const { fromValue, toValue } = p.range;
      if (fromValue.type !== 'octet-string' || toValue.type !== 'octet-string') return { type: 'data-access-result', value: DataAccessResult.typeUnmatched };
      const inRange = (row: DlmsData): boolean => {
        const t = row.type === 'structure' ? row.value[0] : undefined;
        return t?.type === 'octet-string' && compareBytes(t.value, fromValue.value) >= 0 && compareBytes(t.value, toValue.value) <= 0;
      };
      return { type: 'data', value: { type: 'array', value: v.value.filter(inRange) } };
    }
    return { type: 'data-access-result', value: DataAccessResult.otherReason };
  }
}
