/**
 * The DeviceReader of wired M-Bus meters behind M-Bus-to-TCP converters (channel kind MBUS_TCP, protocol
 * MBUS): one session = a TCP connection to the converter, the slave addressed by the comm line's address
 * (primary: SND_NKE; secondary: selection), optionally an application reset, then REQ_UD2 with FCB toggling
 * while the slave says more records follow (ingest/mbus/master.ts). The answers are not decoded into readings
 * here: each RSP_UD goes to the pipeline as a raw frame (protocol mbus), where the decoder pool maps its
 * records by the device profile's `mbus` section and opens it with the meter's key. A measurement item reads
 * the meter once per session (every record the meter has; the profile says which archive each lands in).
 *
 * States: `state-info` (the meter's identity from its telegram) and `state-state` (status byte and error
 * flags). Commands: clock read (the meter's date-time record) and clock write (SND_UD CI 0x51 with a type F
 * date-time). Wireless meters (WMBUS channels) are not polled: their telegrams come from the gateways.
 */
import { randomUUID } from 'node:crypto';
import { AesKey } from '../decoders/mbus/aes.js';
import { encodeDateTimeF } from '../decoders/mbus/datetime.js';
import { isMbusError } from '../decoders/mbus/errors.js';
import { recordTimes } from '../decoders/mbus/frame-decoder.js';
import { encodeLongFrame, C_SND_UD } from '../decoders/mbus/link.js';
import { ValueKind } from '../decoders/mbus/records.js';
import { deviceTypeName, manufacturerCode, QUANTITIES, statusFlags } from '../decoders/mbus/tables.js';
import { MbusDecoder, type Telegram } from '../decoders/mbus/telegram.js';
import { translateTelegram } from '../decoders/mbus/translator.js';
import { ExchangeLog } from '../ingest/exchange-log/log.js';
import { MbusLinkError, MbusMaster } from '../ingest/mbus/master.js';
import { ConnectError, connectTcp } from '../ingest/transport/socket.js';
import type { ByteTransport } from '../ingest/transport/transport.js';
import type { SecretBox } from '../registry/crypto.js';
import type { Db } from '../registry/db.js';
import { openSecurityKey } from '../registry/project-data.js';
import type { DecodingContext } from '../schemas/avro/index.js';
import {
  LinkError, type CollectedFrame, type CollectedRecord, type CollectItem, type CollectOutcome, type CommLineRef, type ControlOutcome,
  type ControlRequest, type DeviceLink, type DeviceReader, type DeviceTarget, type WireFrameTap,
} from './reader.js';
import { ReaderRegistryCache } from './registry-cache.js';
import { offsetMinutes } from './schedule.js';

export interface MbusDeviceReaderOptions {
  db: Db;
  box: SecretBox;
  /** Record the protocol trace in the exchange log (default: steps only). */
  detail?: boolean;
  now?: () => number;
  connect?: (host: string, port: number, timeoutMs: number) => Promise<ByteTransport>;
  wire?: WireFrameTap;
}

export class MbusDeviceReader implements DeviceReader {
  readonly #o: Required<Omit<MbusDeviceReaderOptions, 'wire'>> & Pick<MbusDeviceReaderOptions, 'wire'>;
  readonly #registry: ReaderRegistryCache;

  constructor(o: MbusDeviceReaderOptions) {
    this.#o = { detail: false, now: Date.now, connect: connectTcp, ...o };
    this.#registry = new ReaderRegistryCache(o.db, this.#o.now);
  }

  /** The meter's AES key (security key MBUS_AES), opened; undefined when it has none (plain telegrams). */
  async #key(device: DeviceTarget): Promise<AesKey | undefined> {
    const r = await this.#o.db.query<{ id: string; key_enc: string }>(
      `SELECT id, key_enc FROM security_keys WHERE project_id = $1 AND device_id = $2 AND kind = 'MBUS_AES'`, [device.projectId, device.id],
    );
    const row = r.rows[0];
    return row ? new AesKey(Buffer.from(openSecurityKey(this.#o.box, { id: row.id, keyEnc: row.key_enc }), 'hex')) : undefined;
  }

  async #timeZone(projectId: string): Promise<string> {
    const r = await this.#o.db.query<{ time_zone: string }>('SELECT time_zone FROM projects WHERE id = $1', [projectId]);
    return r.rows[0]?.time_zone ?? 'UTC';
  }

  async open(device: DeviceTarget, line: CommLineRef, signal: AbortSignal): Promise<DeviceLink> {
    if (line.protocolKind !== 'MBUS') throw new LinkError(`protocol ${line.protocolKind} is not M-Bus`);
    if (line.channelKind === 'WMBUS') throw new LinkError('wireless M-Bus meters are not polled: their telegrams arrive through the gateways (docs/mbus.md)');
    if (line.channelKind !== 'MBUS_TCP') throw new LinkError(`channel kind ${line.channelKind} is not read by the M-Bus reader`);
    const { host, port } = line.channelSettings as { host?: string; port?: number };
    if (!host || !port) throw new LinkError('the MBUS_TCP channel names no host and port');
    const s = line.protocolSettings;
    const waitTimeMs = Number(s.waitTime ?? 2) * 1000;
    const log = new ExchangeLog({ detail: this.#o.detail, framing: 'none', summarize: summarizeMbus, title: `${device.serialNumber} via M-Bus converter ${host}:${port}, address ${line.address}` });
    const [key, tz, retention] = await Promise.all([this.#key(device), this.#timeZone(device.projectId), this.#registry.retentionDays()]);
    const sessionId = randomUUID();
    const wire = this.#o.wire;
    let seq = 0;
    let last = '';
    for (let attempt = 1; attempt <= Math.max(1, line.attempts); attempt++) {
      if (signal.aborted) break;
      let transport: ByteTransport | undefined;
      try {
        transport = await this.#o.connect(host, port, waitTimeMs * 2);
        const master = new MbusMaster(transport, {
          waitTimeMs, resendCount: Number(s.resendCount ?? 2), signal,
          onFrame: (direction, bytes) => {
            const at = this.#o.now();
            log.frame(direction, bytes, at);
            if (wire && (direction === 'rx' || wire.sent)) {
              wire.publish({ direction, framing: 'none', bytes, receivedAt: at, kind: 'session', deviceId: device.id, projectId: device.projectId, remote: `tcp:${host}:${port}`, channel: line.channelId }, {
                num: device.num, sessionId, connector: 'mbus-tcp',
              });
            }
          },
          onStep: (name, startedAt, ok, error) => log.step({ name, startedAt, durationMs: this.#o.now() - startedAt, ok, ...(error ? { error } : {}) }),
        });
        const a = await master.address(line.address);
        if (s.applicationReset === true) await master.applicationReset(a);
        return new MbusLink({
          master, address: a, key, tz, retention, log, sessionId, now: this.#o.now, maxTelegrams: Number(s.maxTelegrams ?? 16), next: () => `${sessionId}:${seq++}`,
        });
      } catch (e) {
        transport?.close();
        if (!(e instanceof MbusLinkError) && !(e instanceof ConnectError)) throw e;
        last = e instanceof ConnectError ? `could not reach the converter: ${e.message}` : `the meter did not answer: ${e.message}`;
      }
    }
    throw new LinkError(last || 'cancelled', log.toText());
  }
}

interface LinkParts {
  master: MbusMaster;
  address: number;
  key: AesKey | undefined;
  tz: string;
  retention: ReadonlyMap<string, number>;
  log: ExchangeLog;
  sessionId: string;
  now: () => number;
  maxTelegrams: number;
  next: () => string;
}

class MbusLink implements DeviceLink {
  readonly #decoder = new MbusDecoder();
  /** The telegrams read in this session (a meter answers everything at once: read once, used by every item). */
  #read: { frames: Uint8Array[]; at: number } | undefined;
  #published = false;

  constructor(private readonly p: LinkParts) {}

  async #telegrams(): Promise<{ frames: Uint8Array[]; at: number }> {
    if (!this.#read) {
      const frames = await this.p.master.readAll(this.p.address, (f) => this.#more(f), this.p.maxTelegrams);
      this.#read = { frames, at: this.p.now() };
    }
    return this.#read;
  }

  /** Whether a telegram ends in "more records follow" (an encrypted one without its key: taken as the last). */
  #more(frame: Uint8Array): boolean {
    try {
      return this.#decoder.decode(frame, this.p.key ? { key: this.p.key } : {}).records.moreRecordsFollow;
    } catch (e) {
      if (isMbusError(e)) return false;
      throw e;
    }
  }

  /** The meter's times per storage number over the answer's telegrams (one it cannot open adds none). */
  #sessionTimes(frames: Uint8Array[]): Map<number, number> {
    const times = new Map<number, number>();
    for (const f of frames) {
      try {
        recordTimes(this.#decoder.decode(f, this.p.key ? { key: this.p.key } : {}).records, times);
      } catch (e) {
        if (!isMbusError(e)) throw e;
      }
    }
    return times;
  }

  #decoded(): Telegram[] {
    const out: Telegram[] = [];
    for (const f of this.#read?.frames ?? []) {
      // A fresh decoder per telegram: its result must outlive the next decode.
      out.push(new MbusDecoder().decode(f, this.p.key ? { key: this.p.key } : {}));
    }
    return out;
  }

  async collect(item: CollectItem): Promise<CollectOutcome> {
    try {
      if (item.kind === 'events') return { status: 'unsupported', records: [], note: 'M-Bus meters keep no event journals' };
      const { frames, at } = await this.#telegrams();
      if (item.kind === 'measurement') {
        if (this.#published) return { status: 'ok', records: [], note: `read with the first archive of this session (${frames.length} telegrams)` };
        this.#published = true;
        // A value and its date may come in different telegrams of the answer: the pool gets the session's times.
        const times = frames.length > 1 ? this.#sessionTimes(frames) : undefined;
        const context: DecodingContext = {
          archive: item.item.archive, retentionDays: this.p.retention.get(item.item.archive) ?? 0,
          deviceTzMinutes: offsetMinutes(this.p.tz, at), source: 'POLL', captureObjects: [], journal: null, eventCodes: null,
          protocolContext: times ? Buffer.from(JSON.stringify({ times: Object.fromEntries(times) })) : null,
        };
        const out: CollectedFrame[] = frames.map((f) => ({ frameId: this.p.next(), sessionId: this.p.sessionId, apdu: f, receivedAt: at, context, protocol: 'mbus' }));
        return { status: 'ok', records: [], frames: out, note: `${frames.length} telegram${frames.length === 1 ? '' : 's'}` };
      }
      return this.#state(item.archive);
    } catch (e) {
      if (e instanceof MbusLinkError || isMbusError(e)) return { status: 'error', records: [], note: e.message };
      throw e;
    }
  }

  #state(archive: string): CollectOutcome {
    const telegrams = this.#decoded();
    const first = telegrams[0];
    if (!first) return { status: 'error', records: [], note: 'the meter sent no telegram' };
    if (archive === 'state-info') {
      const m = first.meter;
      if (!m) return { status: 'unsupported', records: [], note: 'the telegram has no long header (no meter identity)' };
      const records: CollectedRecord[] = [
        { code: 'manufacturer', value: manufacturerCode(m.manufacturer) },
        { code: 'id', value: m.id },
        { code: 'version', value: m.version },
        { code: 'medium', value: deviceTypeName(m.deviceType) },
      ];
      for (const t of telegrams) {
        const r = t.records;
        for (let i = 0; i < r.count; i++) {
          const q = QUANTITIES[r.quantity[i]!]!.name;
          if ((q === 'fabrication-number' || q === 'firmware-version' || q === 'software-version' || q === 'model-version') && r.kind[i] === ValueKind.Number) {
            records.push({ code: q, value: r.value[i] });
          }
        }
      }
      return { status: 'ok', records };
    }
    if (archive === 'state-state') {
      const status = first.tpl?.status ?? 0;
      const records: CollectedRecord[] = [{ code: 'status', value: { byte: status, flags: statusFlags(status) } }];
      for (const t of telegrams) {
        const r = t.records;
        for (let i = 0; i < r.count; i++) if (QUANTITIES[r.quantity[i]!]!.name === 'error-flags' && r.storage[i] === 0) records.push({ code: 'error-flags', value: r.value[i] });
      }
      return { status: 'ok', records };
    }
    return { status: 'unsupported', records: [], note: `state archive ${archive} is not read from M-Bus meters` };
  }

  async control(request: ControlRequest): Promise<ControlOutcome> {
    try {
      if (request.function === 'clock-read') {
        this.#read = undefined; // the clock now, not the one of an earlier read
        await this.#telegrams();
        for (const t of this.#decoded()) {
          const r = t.records;
          for (let i = 0; i < r.count; i++) {
            if (r.kind[i] === ValueKind.DateTime && r.storage[i] === 0 && r.value[i] === r.value[i]) {
              const local = r.value[i]!;
              return { ok: true, value: { utcMs: local - offsetMinutes(this.p.tz, local) * 60_000 } };
            }
          }
        }
        return { ok: false, reason: 'unsupported', note: 'the meter sends no date-time record' };
      }
      if (request.function === 'clock-write') {
        const { utcMs } = request.params as { utcMs: number };
        const f = new Uint8Array(6);
        f[0] = 0x04;
        f[1] = 0x6d;
        encodeDateTimeF(utcMs + offsetMinutes(this.p.tz, utcMs) * 60_000, f, 2);
        await this.p.master.send(`set the clock of ${this.p.address}`, encodeLongFrame(C_SND_UD, this.p.address, 0x51, f));
        return { ok: true };
      }
      return { ok: false, reason: 'unsupported', note: `${request.function} is not an M-Bus command` };
    } catch (e) {
      if (e instanceof MbusLinkError || isMbusError(e)) return { ok: false, reason: 'error', note: e.message };
      throw e;
    }
  }

  async close(): Promise<string> {
    this.p.master.close();
    return this.p.log.toText();
  }
}

/** A one-line summary of an M-Bus frame for the exchange log. */
export function summarizeMbus(direction: 'tx' | 'rx', bytes: Uint8Array): string {
  if (bytes.length === 1 && bytes[0] === 0xe5) return 'E5 (acknowledge)';
  if (bytes[0] === 0x10 && bytes.length === 5) {
    const c = bytes[1]! & ~0x20;
    const name = c === 0x40 ? 'SND_NKE' : c === 0x5b ? 'REQ_UD2' : c === 0x5a ? 'REQ_UD1' : `C 0x${bytes[1]!.toString(16)}`;
    return `${name} to ${bytes[2]}${c === 0x5b ? ` (FCB ${bytes[1]! & 0x20 ? 1 : 0})` : ''}`;
  }
  if (direction === 'tx') return `SND_UD to ${bytes[5]} CI 0x${(bytes[6] ?? 0).toString(16)}`;
  try {
    const t = translateTelegram(bytes) as { meter?: { manufacturer: string; id: string } | null; records?: unknown[]; moreRecordsFollow?: boolean; note?: string };
    return `RSP_UD ${t.meter ? `${t.meter.manufacturer} ${t.meter.id}` : ''}: ${t.records?.length ?? 0} records${t.moreRecordsFollow ? ', more follow' : ''}${t.note ? ' (encrypted)' : ''}`;
  } catch (e) {
    if (isMbusError(e)) return `undecodable: ${e.message}`;
    throw e;
  }
}
