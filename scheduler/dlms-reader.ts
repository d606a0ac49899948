/**
 * The DeviceReader of real meters: one DLMS session over one comm line. The registry gives the channel (TCP
 * host and port), the protocol (DLMS settings, secrets opened with the master key) and the device profile,
 * which maps archives and measurement tags to COSEM objects (registry/profiles/*.json); ingest/session runs
 * the session. Archive reads become records with the OBIS code, the tag (A+/A-/R+/R- by tariff, from the
 * profile's energy objects) and the device time.
 */
import { fromHex } from '../decoders/dlms/axdr/writer.js';
import type { ConnectionSettingsInit } from '../decoders/dlms/connection/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import type { SecretBox } from '../registry/crypto.js';
import type { Db } from '../registry/db.js';
import { ProtocolStore } from '../registry/project-data.js';
import { ExchangeLog } from '../ingest/exchange-log/log.js';
import { MemoryInvocationCounterStore, type InvocationCounterStore } from '../ingest/session/counters.js';
import { SessionError } from '../ingest/session/errors.js';
import { DlmsSession, type ProfileRange } from '../ingest/session/session.js';
import type { ValueJson } from '../ingest/session/values.js';
import { ConnectError, connectTcp } from '../ingest/transport/socket.js';
import type { ByteTransport } from '../ingest/transport/transport.js';
import {
  LinkError, type CollectedRecord, type CollectItem, type CollectOutcome, type CommLineRef, type ControlOutcome, type ControlRequest,
  type DeviceLink, type DeviceReader, type DeviceTarget,
} from './reader.js';

const CHANNELS = ['A+', 'A-', 'R+', 'R-'] as const;

/** The part of a registry device profile (driver) the reader uses. */
export interface DriverProfile {
  id: string;
  clock?: string;
  /** Cumulative energy registers per channel, `{t}` = tariff (0 = total). */
  energy?: Partial<Record<(typeof CHANNELS)[number], string>>;
  /** Interval energy objects per channel (SPODES x.29): a load-profile column of the interval's energy. */
  intervalEnergy?: Partial<Record<(typeof CHANNELS)[number], string>>;
  archives: Record<string, { obis: string; classId: number; attribute: number; tags?: string[] }>;
  relays?: Record<string, { obis: string; lockObis?: string }>;
}

/** OBIS → tag ("A+ T0") of every energy object the profile names. */
function tagsByObis(p: DriverProfile): Map<string, string> {
  const m = new Map<string, string>();
  for (const ch of CHANNELS) {
    const reg = p.energy?.[ch];
    if (reg) for (let t = 0; t <= 4; t++) m.set(reg.replace('{t}', String(t)), `${ch} T${t}`);
    const interval = p.intervalEnergy?.[ch];
    if (interval) m.set(interval, `${ch} T0`);
  }
  return m;
}

interface LineRow {
  channelKind: string;
  channelSettings: { host?: string; port?: number };
  protocolId: string;
  protocolKind: string;
  protocolSettings: Record<string, unknown>;
  secretsEnc: string | null;
  profile: DriverProfile | null;
}

/** The registry's DLMS protocol settings (seed 003 table 3) and the comm line's address as codec settings. */
export function connectionSettings(s: Record<string, unknown>, secrets: Record<string, string>, address: string): ConnectionSettingsInit {
  const override = address.trim() === '' ? undefined : Number(address);
  if (override !== undefined && !Number.isInteger(override)) throw new LinkError(`comm line address "${address}" is not a number`);
  const addressLength = Number(s.serverAddressLength ?? 0);
  const logical = Number(s.logicalServer ?? 1);
  // Address length 0: the IP wrapper, where the comm line's address is the server wPort; else HDLC.
  const addressing: ConnectionSettingsInit = addressLength === 0
    ? { framing: 'wrapper', serverWPort: override ?? logical }
    : { framing: 'hdlc', serverLogicalAddress: logical, serverPhysicalAddress: override ?? Number(s.physicalServer ?? 16), serverAddressSize: addressLength as 1 | 2 | 4 };
  const auth = String(s.authentication ?? 'none');
  const keys = secrets.encryptionKey && secrets.authenticationKey
    ? { blockCipherKey: fromHex(secrets.encryptionKey), authenticationKey: fromHex(secrets.authenticationKey) }
    : undefined;
  return {
    ...addressing,
    clientAddress: Number(s.clientAddress ?? 16),
    maxReceivePduSize: Number(s.maxPduRx ?? 1024),
    authentication: auth === 'high' ? 'high-gmac' : auth === 'low' ? 'low' : 'none',
    ...(auth === 'low' && secrets.password !== undefined ? { password: secrets.password } : {}),
    ...(keys ? { keys, securityPolicy: 'authenticated-and-encrypted' as const } : { securityPolicy: 'none' as const }),
    ...(typeof s.systemTitle === 'string' ? { systemTitle: fromHex(s.systemTitle) } : {}),
  };
}

export interface DlmsDeviceReaderOptions {
  db: Db;
  box: SecretBox;
  /** Invocation counters of ciphered sessions (default: in memory, per process). */
  counters?: InvocationCounterStore;
  /** Record the protocol trace in the exchange log (default: steps only). */
  detail?: boolean;
  now?: () => number;
  connect?: (host: string, port: number, timeoutMs: number) => Promise<ByteTransport>;
}

export class DlmsDeviceReader implements DeviceReader {
  readonly #o: Required<DlmsDeviceReaderOptions>;
  readonly #protocols: ProtocolStore;

  constructor(o: DlmsDeviceReaderOptions) {
    this.#o = { counters: new MemoryInvocationCounterStore(), detail: false, now: Date.now, connect: connectTcp, ...o };
    this.#protocols = new ProtocolStore(o.db, o.box);
  }

  async open(device: DeviceTarget, line: CommLineRef, signal: AbortSignal): Promise<DeviceLink> {
    const r = await this.#o.db.query<LineRow>(
      `SELECT c.kind AS "channelKind", c.settings AS "channelSettings", p.id AS "protocolId", p.kind AS "protocolKind", p.settings AS "protocolSettings",
              p.secrets_enc AS "secretsEnc", dp.body AS profile
       FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id JOIN protocols p ON p.id = cl.protocol_id
       LEFT JOIN device_profiles dp ON dp.id = cl.profile_id WHERE cl.id = $1`,
      [line.id],
    );
    const row = r.rows[0];
    if (!row) throw new LinkError(`comm line ${line.id} not found`);
    if (row.channelKind !== 'TCP' || !row.channelSettings.host || !row.channelSettings.port) {
      throw new LinkError(`channel kind ${row.channelKind} is not read by the DLMS TCP reader`);
    }
    if (row.protocolKind !== 'DLMS') throw new LinkError(`protocol ${row.protocolKind} is not DLMS`);
    if (!row.profile) throw new LinkError('the comm line has no device profile (driver)');
    const secrets = this.#protocols.secrets({ id: row.protocolId, secretsEnc: row.secretsEnc });
    const settings = connectionSettings(row.protocolSettings, secrets, line.address);
    const waitTimeMs = Number(row.protocolSettings.waitTime ?? 5) * 1000;
    const { host, port } = row.channelSettings;
    const log = new ExchangeLog({
      detail: this.#o.detail, framing: settings.framing!,
      ...(settings.keys ? { keys: settings.keys } : {}),
      ...(settings.systemTitle ? { clientSystemTitle: settings.systemTitle } : {}),
      ...(typeof settings.password === 'string' ? { secrets: [new TextEncoder().encode(settings.password)] } : {}),
      title: `${device.serialNumber} via ${host}:${port}`,
    });
    let last = '';
    for (let attempt = 1; attempt <= Math.max(1, line.attempts); attempt++) {
      if (signal.aborted) break;
      try {
        const session = await DlmsSession.open(await this.#o.connect(host, port, waitTimeMs), settings, {
          waitTimeMs, resendCount: Number(row.protocolSettings.resendCount ?? 2), log,
          context: { deviceId: device.id, projectId: device.projectId, channel: line.channelId },
          ...(settings.keys ? { counters: { store: this.#o.counters, deviceId: device.id } } : {}),
        });
        return new DlmsLink(session, row.profile, log, this.#o.now);
      } catch (e) {
        if (!(e instanceof SessionError) && !(e instanceof ConnectError)) throw e;
        last = e instanceof ConnectError ? `could not start a session: ${e.message}` : e.message;
        // Repeating a wrong secret may lock the meter's association: no further attempt.
        if (e instanceof SessionError && e.reason === 'authentication-failed') break;
      }
    }
    throw new LinkError(last || 'cancelled', log.toText());
  }
}

class DlmsLink implements DeviceLink {
  readonly #tags: Map<string, string>;

  constructor(private readonly session: DlmsSession, private readonly profile: DriverProfile, private readonly log: ExchangeLog, private readonly now: () => number) {
    this.#tags = tagsByObis(profile);
  }

  async collect(item: CollectItem): Promise<CollectOutcome> {
    if (item.kind !== 'measurement') return { status: 'unsupported', records: [], note: `${item.kind} are not read by the DLMS reader yet` };
    const spec = this.profile.archives[item.item.archive];
    if (!spec) return { status: 'unsupported', records: [], note: `archive ${item.item.archive} is not in device profile ${this.profile.id}` };
    const wanted = item.item.tags?.length ? new Set(item.item.tags) : undefined;
    try {
      if (spec.classId === 7) return { status: 'ok', records: await this.#profile(spec.obis, item.range, wanted) };
      return this.#registers(spec.tags ?? [], wanted);
    } catch (e) {
      return failed(e);
    }
  }

  async #profile(obis: string, range: ProfileRange | undefined, wanted: Set<string> | undefined): Promise<CollectedRecord[]> {
    const p = await this.session.readProfile(obis, range);
    const columns = p.columns.map((c) => {
      const code = c.object.split('/')[1]!;
      const tag = this.#tags.get(code);
      return { code, tag, unit: c.unit, keep: !wanted || (tag !== undefined && wanted.has(tag)) };
    });
    const out: CollectedRecord[] = [];
    for (const row of p.rows) {
      if (row.timestamp === null) continue;
      row.values.forEach((v, i) => {
        const c = columns[i]!;
        if (c.keep && v !== null) out.push({ code: c.code, ...(c.tag ? { tag: c.tag } : {}), deviceTimeMs: row.timestamp!, value: { value: v, unit: c.unit } });
      });
    }
    return out;
  }

  async #registers(tags: string[], wanted: Set<string> | undefined): Promise<CollectOutcome> {
    const records: CollectedRecord[] = [];
    const notes: string[] = [];
    const at = this.now();
    for (const tag of wanted ? [...wanted] : tags) {
      const [ch, t] = tag.split(' T') as [(typeof CHANNELS)[number], string];
      const obis = this.profile.energy?.[ch]?.replace('{t}', t);
      if (!obis) {
        notes.push(`${tag}: no register in the device profile`);
        continue;
      }
      try {
        const value = await this.session.readValue({ classId: 3, instanceId: parseObis(obis), attributeId: 2 });
        records.push({ code: obis, tag, deviceTimeMs: at, value });
      } catch (e) {
        const f = failed(e);
        if (f.status === 'error') return { ...f, records };
        notes.push(`${tag}: ${f.note}`);
      }
    }
    return notes.length ? { status: records.length ? 'ok' : 'unsupported', records, note: notes.join('; ') } : { status: 'ok', records };
  }

  async control(request: ControlRequest): Promise<ControlOutcome> {
    try {
      switch (request.function) {
        case 'clock-read':
          return { ok: true, value: await this.session.readClock() };
        case 'clock-write':
          await this.session.writeClock(request.params.utcMs);
          return { ok: true };
        case 'relay-read':
        case 'relay-connect':
        case 'relay-disconnect':
          return await this.#relay(request.function, String(request.params?.relay ?? 'load'));
        default:
          return { ok: false, reason: 'unsupported', note: `${request.function} is not performed by the DLMS reader yet` };
      }
    } catch (e) {
      const f = failed(e);
      return { ok: false, reason: f.status === 'unsupported' ? 'unsupported' : 'error', note: f.note };
    }
  }

  /** Disconnect control (class 70): method 1 remote_disconnect, 2 remote_reconnect; attribute 2 output_state, 3 control_state. */
  async #relay(fn: 'relay-read' | 'relay-connect' | 'relay-disconnect', relay: string): Promise<ControlOutcome> {
    const spec = this.profile.relays?.[relay];
    if (!spec) return { ok: false, reason: 'relay-absent' };
    const ln = parseObis(spec.obis);
    const get = async (classId: number, obis: string, attributeId: number) =>
      scalar(await this.session.readValue({ classId, instanceId: parseObis(obis), attributeId }));
    const lockState = spec.lockObis ? Number(await get(1, spec.lockObis, 2)) : 0;
    if (fn !== 'relay-read') {
      if (lockState >= 1 && lockState <= 3) return { ok: false, reason: 'locked', value: { lockState } };
      await this.session.action({ classId: 70, instanceId: ln, methodId: fn === 'relay-disconnect' ? 1 : 2 }, { type: 'integer', value: 0 });
    }
    const output = await get(70, spec.obis, 2);
    return { ok: true, value: { state: output === true ? 'connected' : 'disconnected', controlState: Number(await get(70, spec.obis, 3)), lockState } };
  }

  async close(): Promise<string> {
    await this.session.close();
    return this.log.toText();
  }
}

/** The plain value of a simple data object as readValue returns it (`{data: {enum: 1}}` → 1). */
function scalar(v: ValueJson): unknown {
  if (!('data' in v)) return 'value' in v ? v.value : undefined;
  return v.data !== null && typeof v.data === 'object' ? Object.values(v.data)[0] : v.data;
}

function failed(e: unknown): CollectOutcome {
  if (!(e instanceof SessionError)) throw e;
  return { status: e.reason === 'object-undefined' ? 'unsupported' : 'error', records: [], note: e.message };
}
