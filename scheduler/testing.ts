/**
 * Test support: a scripted fleet behind the DeviceReader interface and an in-memory ReadingSink, so that
 * the scheduler's rules (fallback, retries, cancellation, restarts, commands) are tested without sockets.
 */
import type { Db } from '../registry/db.js';
import { createDevice } from '../registry/project-data.js';
import {
  LinkError, type CollectItem, type CollectOutcome, type CollectedRecord, type CommLineRef, type ControlOutcome, type ControlRequest,
  type DeviceLink, type DeviceReader, type DeviceTarget, type ReadingSink,
} from './reader.js';

export interface FakeMeter {
  /** Channel ids over which no session can be opened. */
  deadChannels?: Set<string>;
  /** Sessions that fail to open before one succeeds (each failure counts once, over any line). */
  failOpens?: number;
  /** Archives the meter does not have (collect → unsupported). */
  unsupported?: Set<string>;
  /** Archives whose read fails with an exchange error. */
  failing?: Set<string>;
  /** Milliseconds each collect takes (to cancel mid-launch). */
  collectMs?: number;
  clockOffsetMs?: number;
  relay?: { state: boolean; lockState: 0 | 1 | 2 | 3 } | 'absent';
}

export class FakeFleet implements DeviceReader, ReadingSink {
  readonly meters = new Map<string, FakeMeter>();
  /** Every opened session: device serial and comm line id, in order. */
  readonly sessions: { serial: string; lineId: string; channelId: string }[] = [];
  readonly opens: { serial: string; channelId: string; ok: boolean }[] = [];
  readonly written: { serial: string; item: CollectItem; records: CollectedRecord[] }[] = [];
  readonly commands: { serial: string; request: ControlRequest }[] = [];
  constructor(readonly now: () => number = Date.now) {}

  meter(serial: string): FakeMeter {
    let m = this.meters.get(serial);
    if (!m) this.meters.set(serial, (m = {}));
    return m;
  }

  open(device: DeviceTarget, line: CommLineRef, signal: AbortSignal): Promise<DeviceLink> {
    const m = this.meter(device.serialNumber);
    const fail = m.deadChannels?.has(line.channelId) || (m.failOpens ?? 0) > 0;
    this.opens.push({ serial: device.serialNumber, channelId: line.channelId, ok: !fail });
    if (fail) {
      if (!m.deadChannels?.has(line.channelId)) m.failOpens = (m.failOpens ?? 0) - 1;
      return Promise.reject(new LinkError(`could not start a session over ${line.channelKind}: timeout`, `connect ${line.channelId}: timeout\n`));
    }
    this.sessions.push({ serial: device.serialNumber, lineId: line.id, channelId: line.channelId });
    const log: string[] = [`connect ${line.channelId}: ok`, 'AARQ → AARE accepted'];
    const wait = (ms: number) => new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
    return Promise.resolve({
      collect: async (item: CollectItem): Promise<CollectOutcome> => {
        if (m.collectMs) await wait(m.collectMs);
        const name = item.kind === 'measurement' ? item.item.archive : item.kind === 'state' ? item.archive : 'events';
        log.push(`GET ${name}`);
        if (m.unsupported?.has(name)) return { status: 'unsupported', records: [], note: 'object undefined' };
        if (m.failing?.has(name)) return { status: 'error', records: [], note: 'timeout' };
        const tags = item.kind === 'measurement' ? (item.item.tags?.length ? item.item.tags : ['A+ T0']) : [undefined];
        const at = item.kind === 'measurement' && item.range ? item.range.toMs : this.now();
        return { status: 'ok', records: tags.map((tag) => ({ code: name, tag, deviceTimeMs: at, value: 1 })) };
      },
      control: (request: ControlRequest): Promise<ControlOutcome> => {
        this.commands.push({ serial: device.serialNumber, request });
        log.push(`CONTROL ${request.function}`);
        switch (request.function) {
          case 'clock-read':
            return Promise.resolve({ ok: true, value: { utcMs: this.now() + (m.clockOffsetMs ?? 0) } });
          case 'clock-write':
            m.clockOffsetMs = 0;
            return Promise.resolve({ ok: true });
          case 'relay-connect':
          case 'relay-disconnect':
          case 'relay-read': {
            const relay = m.relay ?? { state: true, lockState: 0 };
            if (relay === 'absent') return Promise.resolve({ ok: false, reason: 'relay-absent' });
            if (request.function !== 'relay-read') {
              if (relay.lockState !== 0) return Promise.resolve({ ok: false, reason: 'locked', value: { lockState: relay.lockState } });
              relay.state = request.function === 'relay-connect';
              m.relay = relay;
            }
            return Promise.resolve({ ok: true, value: { state: relay.state, lockState: relay.lockState } });
          }
          default:
            return Promise.resolve({ ok: true, value: { function: request.function } });
        }
      },
      close: () => Promise.resolve(log.join('\n')),
    });
  }

  write(device: DeviceTarget, item: CollectItem, records: CollectedRecord[]): Promise<void> {
    this.written.push({ serial: device.serialNumber, item, records });
    return Promise.resolve();
  }
}

/** Devices with one TCP comm line each (priority 10), plus an optional second line (priority 5) on another channel. */
export async function seedDevices(
  db: Db, projectId: string, serials: string[], opts: { backupLine?: boolean } = {},
): Promise<{ ids: string[]; primaryChannel: string; backupChannel: string }> {
  const ch = async (name: string) => (await db.query<{ id: string }>(
    `INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, $2, 'TCP', '{"host":"127.0.0.1","port":4059}') RETURNING id`, [projectId, name],
  )).rows[0].id;
  const primaryChannel = await ch(`primary-${serials[0]}`), backupChannel = await ch(`backup-${serials[0]}`);
  const protocol = (await db.query<{ id: string }>(`INSERT INTO protocols (project_id, name, kind) VALUES ($1, $2, 'DLMS') RETURNING id`, [projectId, `dlms-${serials[0]}`])).rows[0].id;
  const ids: string[] = [];
  for (const serial of serials) {
    const d = await createDevice(db, projectId, { serialNumber: serial, type: 'CE307' });
    ids.push(String(d.id));
    const line = (channel: string, priority: number) => db.query(
      'INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, priority) VALUES ($1, $2, $3, $4, $5)', [projectId, d.id, channel, protocol, priority],
    );
    await line(primaryChannel, 10);
    if (opts.backupLine) await line(backupChannel, 5);
  }
  return { ids, primaryChannel, backupChannel };
}
