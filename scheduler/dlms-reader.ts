/**
 * The DeviceReader of real meters: one DLMS session over one comm line. The registry gives the channel (TCP
 * host and port; a serial line behind a transparent modem, HDLC over its TCP stream, opened in IEC 62056-21
 * mode E when the profile asks; or CENC: the connection the meter holds open to this process), the protocol (DLMS settings, secrets opened with the master key) and the device profile,
 * which maps archives, measurement tags, event journals and state attributes to COSEM objects
 * (registry/profiles.ts, docs/profiles.md); ingest/session runs the session. Measurement archives and journals are not
 * decoded here: each answer goes out as a raw frame (the GET-Response APDU, blocks reassembled) with its
 * decoding context — capture objects with OBIS, scaler, unit and tariff, the archive's retention, the
 * device's zone — for the decoder pool; states are read and handed over as values.
 */
import { randomUUID } from 'node:crypto';
import { encodeApdu, encodeGetResponseNormalData } from '../decoders/dlms/apdu/index.js';
import { dataToJson } from '../decoders/dlms/axdr/data.js';
import { DEVIATION_NOT_SPECIFIED, dateTimeFromUtcMs, dateTimeToUtcMs, formatDateTime, isValidDateTime, type DateTimeOptions } from '../decoders/dlms/axdr/datetime.js';
import type { CosemDateTime, DlmsData } from '../decoders/dlms/axdr/types.js';
import { fromHex } from '../decoders/dlms/axdr/writer.js';
import { DEFAULT_CONFORMANCE, type ConnectionSettingsInit, type Framing } from '../decoders/dlms/connection/index.js';
import { conformanceFromBits } from '../decoders/dlms/apdu/xdlms/initiate/conformance.js';
import {
  ClassId, activityCalendarAttributes, activityCalendarMethods, limiterAttributes, pushSetupAttributes, specialDaysAttributes, specialDaysMethods, type Member,
} from '../decoders/dlms/cosem/index.js';
import { bufferEntryCount, dateTimeOf } from '../decoders/dlms/cosem/profile-generic.js';
import { isDlmsError } from '../decoders/dlms/errors.js';
import { formatObis, parseObis } from '../decoders/dlms/obis.js';
import { unitSymbol } from '../decoders/dlms/units.js';
import type { CaptureObject, DecodingContext } from '../schemas/avro/index.js';
import { ENERGY_CHANNELS, type DeviceProfile, type DlmsQuirks } from '../schemas/device-profile.js';
import type { SecretBox } from '../registry/crypto.js';
import type { Db } from '../registry/db.js';
import { ProtocolStore } from '../registry/project-data.js';
import { ReaderRegistryCache } from './registry-cache.js';
import { ExchangeLog } from '../ingest/exchange-log/log.js';
import { maskSecrets } from '../ingest/exchange-log/secrets.js';
import { MemoryInvocationCounterStore, type InvocationCounterStore } from '../ingest/session/counters.js';
import { SessionError } from '../ingest/session/errors.js';
import { DlmsSession, type ProfileRange } from '../ingest/session/session.js';
import type { ValueJson } from '../ingest/session/values.js';
import { openModeE } from '../ingest/transport/mode-e.js';
import { ConnectError, connectTcp } from '../ingest/transport/socket.js';
import type { RawFrame } from '../ingest/transport/frames.js';
import type { ByteTransport } from '../ingest/transport/transport.js';
import {
  ParamError, calendarFromJson, calendarToJson, instantFromText, limitsFromJson, limitsToJson, pushSetupFromJson, pushSetupToJson, specialDaysFromJson, specialDaysToDelete,
  specialDaysToJson, thresholdData,
} from './configure.js';
import type { ConfigureFunction } from './content.js';
import {
  LinkError, type CollectedFrame, type CollectedRecord, type CollectItem, type CollectOutcome, type CommLineRef, type ControlOutcome, type ControlRequest,
  type DeviceLink, type DeviceReader, type DeviceTarget, type FirmwareLink, type WireFrameTap,
} from './reader.js';

/** Block transfer with GET, SET and ACTION: the conformance bits a profile with `blockTransfer: false` does not propose. */
const BLOCK_TRANSFER = conformanceFromBits(['block-transfer-with-get-or-read', 'block-transfer-with-set-or-write', 'block-transfer-with-action']);

/** The profile's vendor quirks (`dlms` section) over the protocol's connection settings. */
export function withProfileQuirks(c: ConnectionSettingsInit, q: DlmsQuirks | undefined): ConnectionSettingsInit {
  if (!q) return c;
  const { hdlc, maxPduSize, blockTransfer, highPriority, ...quirks } = q;
  return {
    ...c,
    ...(hdlc ? { hdlc } : {}),
    ...(maxPduSize !== undefined ? { maxReceivePduSize: Math.min(c.maxReceivePduSize ?? maxPduSize, maxPduSize) } : {}),
    ...(blockTransfer === false ? { conformance: (c.conformance ?? DEFAULT_CONFORMANCE) & ~BLOCK_TRANSFER } : {}),
    ...(highPriority !== undefined ? { highPriority } : {}),
    quirks: { ...c.quirks, ...quirks },
  };
}

/** OBIS → tag ("A+ T0") of every energy object the profile names. */
function tagsByObis(p: DeviceProfile): Map<string, string> {
  const m = new Map<string, string>();
  for (const ch of ENERGY_CHANNELS) {
    const reg = p.energy?.[ch];
    if (reg) for (let t = 0; t <= 4; t++) m.set(reg.replace('{t}', String(t)), `${ch} T${t}`);
    const interval = p.intervalEnergy?.[ch];
    if (interval) m.set(interval, `${ch} T0`);
  }
  return m;
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

/** What the reader needs of CENC (ingest/cenc/server.ts): the held connection of a meter that connected in. */
export interface HeldConnections {
  connected(deviceId: string): { framing: 'wrapper' | 'hdlc'; remote: string } | undefined;
  /** The connection for one session; waits for the session before it (a held connection is exclusive). */
  lease(deviceId: string, options: { timeoutMs: number; signal: AbortSignal }): Promise<ByteTransport>;
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
  /** CENC in this process: comm lines on CENC channels run over its held connections. */
  cenc?: HeldConnections;
  /** Publish the sessions' wire frames (configuration `kafka.wireFrames`). */
  wire?: WireFrameTap;
}

/** How long a session waits for a meter's CENC connection that another session or an AMR agent uses. */
const CENC_BUSY_WAIT_MS = 5 * 60_000;

/** Protocols whose opened secrets are kept (one per meter when each has its own keys). */
const SECRETS_KEPT = 10_000;

export class DlmsDeviceReader implements DeviceReader {
  readonly #o: Required<Omit<DlmsDeviceReaderOptions, 'cenc' | 'wire'>> & Pick<DlmsDeviceReaderOptions, 'cenc' | 'wire'>;
  readonly #protocols: ProtocolStore;
  readonly #registry: ReaderRegistryCache;
  /** Opened secrets by protocol id, valid while the protocol's sealed secrets are the ones they came from (an edit seals anew). */
  readonly #secrets = new Map<string, { sealed: string; secrets: Record<string, string> }>();

  constructor(o: DlmsDeviceReaderOptions) {
    this.#o = { counters: new MemoryInvocationCounterStore(), detail: false, now: Date.now, connect: connectTcp, ...o };
    this.#protocols = new ProtocolStore(o.db, o.box);
    this.#registry = new ReaderRegistryCache(o.db, this.#o.now);
  }

  #secretsOf(line: CommLineRef): Record<string, string> {
    if (!line.secretsEnc) return {};
    const kept = this.#secrets.get(line.protocolId);
    if (kept?.sealed === line.secretsEnc) return kept.secrets;
    const secrets = this.#protocols.secrets({ id: line.protocolId, secretsEnc: line.secretsEnc });
    this.#secrets.delete(line.protocolId);
    if (this.#secrets.size >= SECRETS_KEPT) this.#secrets.delete(this.#secrets.keys().next().value!);
    this.#secrets.set(line.protocolId, { sealed: line.secretsEnc, secrets });
    return secrets;
  }

  /**
   * Where the session's bytes go: a TCP connection the reader dials; a serial line behind a transparent modem or
   * terminal server (TCP to it, HDLC straight over the stream, opened in IEC 62056-21 mode E when the profile
   * asks); or the meter's held CENC connection.
   */
  #link(device: DeviceTarget, line: CommLineRef, profile: DeviceProfile, framing: Framing, signal: AbortSignal): {
    title: string;
    connect: (timeoutMs: number, log: ExchangeLog) => Promise<ByteTransport>;
  } {
    if (line.channelKind === 'TCP') {
      const { host, port } = line.channelSettings as { host?: string; port?: number };
      if (!host || !port) throw new LinkError('the TCP channel names no host and port');
      return { title: `${host}:${port}`, connect: (timeoutMs) => this.#o.connect(host, port, timeoutMs) };
    }
    if (line.channelKind === 'SERIAL') {
      const { host, port, baudRate, baudSwitchWaitMs } = line.channelSettings as { host?: string; port?: number; baudRate?: number; baudSwitchWaitMs?: number };
      if (!host || !port) throw new LinkError('the serial channel names no host and port of its modem or terminal server');
      if (framing !== 'hdlc') throw new LinkError(`a serial line carries HDLC: set the protocol's server address length (1, 2 or 4)`);
      const modeE = profile.modeE;
      if (!modeE) return { title: `serial ${host}:${port}`, connect: (timeoutMs) => this.#o.connect(host, port, timeoutMs) };
      return {
        title: `serial ${host}:${port} (IEC 62056-21 mode E)`,
        connect: async (timeoutMs, log) => {
          const t = await this.#o.connect(host, port, timeoutMs);
          try {
            await openModeE(t, {
              address: modeE.address === 'serial-number' ? device.serialNumber : '', baudRate: baudRate ?? 9600, timeoutMs,
              switchWaitMs: baudSwitchWaitMs ?? 300, log, signal,
            });
            return t;
          } catch (e) {
            t.close();
            throw e;
          }
        },
      };
    }
    if (line.channelKind === 'CENC') {
      const cenc = this.#o.cenc;
      if (!cenc) throw new LinkError('could not start a session: CENC does not run in this process (configure cenc.listeners)');
      const held = cenc.connected(device.id);
      if (!held) throw new LinkError(`could not start a session: the device is not connected to CENC`);
      if (held.framing !== framing) {
        throw new LinkError(`the protocol's framing (${framing}) is not the CENC listener's (${held.framing}): set the protocol's server address length`);
      }
      return { title: `CENC ${held.remote}`, connect: () => cenc.lease(device.id, { timeoutMs: CENC_BUSY_WAIT_MS, signal }) };
    }
    throw new LinkError(`channel kind ${line.channelKind} is not read by the DLMS reader`);
  }

  /** Opens a session over a comm line as commLines (scheduler.ts) gives it: no registry query but the cached ones. */
  async open(device: DeviceTarget, line: CommLineRef, signal: AbortSignal): Promise<DeviceLink> {
    if (line.protocolKind !== 'DLMS') throw new LinkError(`protocol ${line.protocolKind} is not DLMS`);
    const profile = line.profileId ? await this.#registry.profile<DeviceProfile>(line.profileId, line.profileVersion) : null;
    if (!profile) throw new LinkError('the comm line has no device profile (driver)');
    const settings = withProfileQuirks(connectionSettings(line.protocolSettings, this.#secretsOf(line), line.address), profile.dlms);
    const link = this.#link(device, line, profile, settings.framing!, signal);
    const waitTimeMs = Number(line.protocolSettings.waitTime ?? 5) * 1000;
    const retention = await this.#registry.retentionDays();
    const secrets = typeof settings.password === 'string' ? [new TextEncoder().encode(settings.password)] : [];
    const log = new ExchangeLog({
      detail: this.#o.detail, framing: settings.framing!,
      ...(settings.keys ? { keys: settings.keys } : {}),
      ...(settings.systemTitle ? { clientSystemTitle: settings.systemTitle } : {}),
      secrets,
      title: `${device.serialNumber} via ${link.title}`,
    });
    const sessionId = randomUUID();
    const wire = this.#o.wire;
    const meta = { num: device.num, sessionId, connector: line.channelKind.toLowerCase() };
    let last = '';
    for (let attempt = 1; attempt <= Math.max(1, line.attempts); attempt++) {
      if (signal.aborted) break;
      let drop: (() => void) | undefined;
      try {
        const transport = await link.connect(waitTimeMs, log);
        // A cancelled launch ends its sessions at once, also one waiting out the timeouts of a meter that does not answer.
        drop = () => transport.close();
        signal.addEventListener('abort', drop, { once: true });
        const session = await DlmsSession.open(transport, settings, {
          waitTimeMs, resendCount: Number(line.protocolSettings.resendCount ?? 2), log,
          context: { deviceId: device.id, projectId: device.projectId, channel: line.channelId },
          ...(settings.keys ? { counters: { store: this.#o.counters, deviceId: device.id } } : {}),
          // The AARQ's LLS password is masked in the trace as in the exchange log.
          ...(wire ? { sink: { publish: (f: RawFrame) => wire.publish({ ...f, bytes: maskSecrets(f.bytes, secrets) }, meta) }, publishSent: wire.sent } : {}),
        });
        const stopWatching = drop;
        return new DlmsLink(session, profile, log, this.#o.now, retention, sessionId, () => signal.removeEventListener('abort', stopWatching));
      } catch (e) {
        if (drop) signal.removeEventListener('abort', drop);
        if (!(e instanceof SessionError) && !(e instanceof ConnectError)) throw e;
        last = e instanceof ConnectError ? `could not start a session: ${e.message}` : e.message;
        // Repeating a wrong secret may lock the meter's association, and a meter's counter below the last accepted
        // one stays so: no further attempt.
        if (e instanceof SessionError && (e.reason === 'authentication-failed' || e.reason === 'replayed-counter')) break;
        // A meter that dropped its CENC connection comes back by itself, and one busy for minutes stays so: no asking again now.
        if (line.channelKind === 'CENC' && (e instanceof ConnectError || !this.#o.cenc?.connected(device.id))) break;
      }
    }
    throw new LinkError(last || 'cancelled', log.toText());
  }
}

/** Invoke-id 1, confirmed, high priority: the header of the GET-Responses a link hands to the pipeline. */
const RESPONSE_IID = 0xc1;
const CLOCK_TIME = { classId: 8, instanceId: parseObis('0.0.1.0.0.255'), attributeId: 2 };
const CLOCK_COLUMN: CaptureObject = { classId: 8, obis: '0.0.1.0.0.255', attribute: 2, dataIndex: 0, scaler: 0, unit: '', readingType: null, tariff: 0 };
/** The configure commands' objects: what operators call them, and their COSEM class. */
const CONFIG_OBJECTS = { activityCalendar: 'activity calendar', specialDays: 'special days table', limiter: 'limiter' } as const;
const CONFIG_CLASSES = { activityCalendar: ClassId.activityCalendar, specialDays: ClassId.specialDaysTable, limiter: ClassId.limiter } as const;
/** Disconnect control (class 70) control_state names. */
const CONTROL_STATES = ['disconnected', 'connected', 'ready-for-reconnection'];

const tariffOf = (tag: string | undefined) => (tag ? Number(tag.slice(tag.indexOf(' T') + 2)) : 0);

class DlmsLink implements DeviceLink {
  readonly #tags: Map<string, string>;
  #seq = 0;
  /** The device's zone offset (minutes east of UTC) from its clock, read once per session; null when it sends none. */
  #tz: number | null | undefined;

  constructor(
    private readonly session: DlmsSession,
    private readonly profile: DeviceProfile,
    private readonly log: ExchangeLog,
    private readonly now: () => number,
    private readonly retentionDays: ReadonlyMap<string, number>,
    /** Names the data frames handed to the pipeline and, when published, the wire frames of this session. */
    private readonly sessionId: string,
    /** Called once the session is closed (the launch's cancellation no longer concerns it). */
    private readonly closed: () => void,
  ) {
    this.#tags = tagsByObis(profile);
  }

  async collect(item: CollectItem): Promise<CollectOutcome> {
    try {
      switch (item.kind) {
        case 'measurement':
          return await this.#measurement(item.item.archive, item.item.tags, item.range);
        case 'events':
          return await this.#events(item.journals, item.range);
        case 'state':
          return await this.#state(item.archive);
      }
    } catch (e) {
      return failed(e);
    }
  }

  async #measurement(archive: string, tags: string[] | undefined, range: ProfileRange | undefined): Promise<CollectOutcome> {
    const spec = this.profile.archives?.[archive];
    if (!spec) return { status: 'unsupported', records: [], note: `archive ${archive} is not in device profile ${this.profile.id}` };
    const wanted = tags?.length ? new Set(tags) : undefined;
    if (spec.classId === 7) return this.#profile(archive, spec.obis, range, wanted);
    if (spec.objects) return this.#values(archive, spec.objects.map((obis) => ({ obis, tag: this.#tags.get(obis) })), []);
    const notes: string[] = [];
    const objects: { obis: string; tag: string }[] = [];
    for (const tag of wanted ? [...wanted] : spec.tags ?? []) {
      const [ch, t] = tag.split(' T') as [(typeof ENERGY_CHANNELS)[number], string];
      const obis = this.profile.energy?.[ch]?.replace('{t}', t);
      if (obis) objects.push({ obis, tag });
      else notes.push(`${tag}: no register in the device profile`);
    }
    return this.#values(archive, objects, notes);
  }

  /** A Profile Generic read by range: one frame with the buffer, its capture objects, scalers and tags. */
  async #profile(archive: string, obis: string, range: ProfileRange | undefined, wanted: Set<string> | undefined): Promise<CollectOutcome> {
    const tz = await this.#deviceTz();
    const p = await this.session.readProfileBuffer(obis, range);
    const receivedAt = this.now();
    const entries = bufferEntryCount(p.data);
    if (entries < 0) return { status: 'error', records: [], note: `profile ${obis}: the buffer is not an array (data tag ${p.data[0]})` };
    if (!entries) return { status: 'ok', records: [], frames: [] };
    const objects = p.captureObjects.map((o, i): CaptureObject => {
      const code = formatObis(o.logicalName);
      const tag = this.#tags.get(code);
      const su = p.scalerUnits[i];
      return {
        classId: o.classId, obis: code, attribute: o.attributeIndex, dataIndex: o.dataIndex, scaler: su?.scaler ?? 0, unit: su ? unitSymbol(su.unit) : '',
        readingType: null, tariff: tariffOf(tag), store: !wanted || (tag !== undefined && wanted.has(tag)),
      };
    });
    return { status: 'ok', records: [], frames: [this.#frame(encodeGetResponseNormalData(RESPONSE_IID, p.data), receivedAt, this.#context(archive, tz, objects))] };
  }

  /**
   * Register values (current, network): with the clock in one GET-With-List when the meter takes several
   * references (the readings are stamped with that clock), else one GET per register (stamped when received).
   */
  async #values(archive: string, objects: { obis: string; tag?: string | undefined }[], notes: string[]): Promise<CollectOutcome> {
    if (!objects.length) return { status: 'unsupported', records: [], note: notes.join('; ') || `archive ${archive} names no objects` };
    const tz = await this.#deviceTz();
    const scalers = await this.session.readScalers(objects.map((o) => ({ classId: 3, logicalName: parseObis(o.obis), attributeIndex: 2, dataIndex: 0 })));
    const columns = objects.map((o, i): CaptureObject => {
      const su = scalers[i];
      return { classId: 3, obis: o.obis, attribute: 2, dataIndex: 0, scaler: su?.scaler ?? 0, unit: su ? unitSymbol(su.unit) : '', readingType: null, tariff: tariffOf(o.tag) };
    });
    const frames: CollectedFrame[] = [];
    let read = 0;
    if (this.session.supports('multiple-references')) {
      const results = await this.session.getWithList([CLOCK_TIME, ...columns.map((c) => ({ classId: 3, instanceId: parseObis(c.obis), attributeId: 2 }))]);
      results.slice(1).forEach((r, i) => {
        if (r.type === 'data') read++;
        else notes.push(`${objects[i]!.tag ?? objects[i]!.obis}: ${r.name}`);
      });
      const apdu = encodeApdu({ type: 'get-response-with-list', invokeIdAndPriority: RESPONSE_IID, results: results.map((r) => (r.type === 'data' ? r : { type: r.type, value: r.value })) });
      frames.push(this.#frame(apdu, this.now(), this.#context(archive, tz, [CLOCK_COLUMN, ...columns])));
    } else {
      for (const [i, c] of columns.entries()) {
        try {
          const value = await this.session.get({ classId: 3, instanceId: parseObis(c.obis), attributeId: 2 });
          frames.push(this.#frame(normalResponse(value), this.now(), this.#context(archive, tz, [c])));
          read++;
        } catch (e) {
          const f = failed(e);
          if (f.status === 'error') return { ...f, frames };
          notes.push(`${objects[i]!.tag ?? c.obis}: ${f.note}`);
        }
      }
    }
    return { status: read ? 'ok' : 'unsupported', records: [], frames, ...(notes.length ? { note: notes.join('; ') } : {}) };
  }

  /** Event journals (Profile Generic event logs of the device profile), each one frame marked with its journal. */
  async #events(journals: string[], range: ProfileRange | undefined): Promise<CollectOutcome> {
    const specs = this.profile.journals ?? {};
    const names = journals.length ? journals : Object.keys(specs);
    if (!names.length) return { status: 'unsupported', records: [], note: `device profile ${this.profile.id} names no event journals` };
    const tz = await this.#deviceTz();
    const frames: CollectedFrame[] = [];
    const notes: string[] = [];
    let read = 0;
    for (const journal of names) {
      const spec = specs[journal];
      if (!spec) {
        notes.push(`${journal}: not in device profile ${this.profile.id}`);
        continue;
      }
      try {
        const p = await this.session.readProfileBuffer(spec.obis, range);
        read++;
        if (bufferEntryCount(p.data) <= 0) continue;
        const objects = p.captureObjects.map((o): CaptureObject => ({
          classId: o.classId, obis: formatObis(o.logicalName), attribute: o.attributeIndex, dataIndex: o.dataIndex, scaler: 0, unit: '', readingType: null, tariff: 0,
        }));
        frames.push(this.#frame(encodeGetResponseNormalData(RESPONSE_IID, p.data), this.now(), { ...this.#context('events', tz, objects), journal, eventCodes: spec.codes ?? null }));
      } catch (e) {
        const f = failed(e);
        if (f.status === 'error') return { ...f, frames };
        notes.push(`${journal}: ${f.note}`);
      }
    }
    return { status: read ? 'ok' : 'unsupported', records: [], frames, ...(notes.length ? { note: notes.join('; ') } : {}) };
  }

  /**
   * A state archive as records (code → value): relays from the profile's relays (an object the meter lacks
   * reads "-", seed 003 §2.2.10), the other archives from the profile's `states` attribute list.
   */
  async #state(archive: string): Promise<CollectOutcome> {
    const records: CollectedRecord[] = [];
    const notes: string[] = [];
    if (archive === 'state-relay') {
      const relays = Object.keys(this.profile.relays ?? {});
      if (!relays.length) return { status: 'unsupported', records, note: `device profile ${this.profile.id} names no relays` };
      for (const relay of relays) {
        try {
          const r = await this.#relay('relay-read', relay);
          const v = r.value as { state: string; controlState: number; lockState: number };
          records.push(
            { code: `${relay}-state`, value: v.state },
            { code: `${relay}-control-state`, value: CONTROL_STATES[v.controlState] ?? v.controlState },
            { code: `${relay}-lock-state`, value: v.lockState },
          );
        } catch (e) {
          const f = failed(e);
          if (f.status === 'error') return { ...f, records };
          records.push({ code: `${relay}-state`, value: '-' });
          notes.push(`${relay} relay: ${f.note}`);
        }
      }
      return { status: 'ok', records, ...(notes.length ? { note: notes.join('; ') } : {}) };
    }
    const specs = this.profile.states?.[archive];
    if (!specs?.length) return { status: 'unsupported', records, note: `${archive} is not in device profile ${this.profile.id}` };
    for (const spec of specs) {
      try {
        records.push({ code: spec.code, value: stateValue(await this.session.get({ classId: spec.classId, instanceId: parseObis(spec.obis), attributeId: spec.attribute })) });
      } catch (e) {
        const f = failed(e);
        if (f.status === 'error') return { ...f, records };
        notes.push(`${spec.code}: ${f.note}`);
      }
    }
    return { status: records.length ? 'ok' : 'unsupported', records, ...(notes.length ? { note: notes.join('; ') } : {}) };
  }

  async #deviceTz(): Promise<number | null> {
    if (this.#tz === undefined) {
      try {
        const dt = dateTimeOf(await this.session.get(CLOCK_TIME));
        const inverted = this.session.connection.settings.quirks.deviationSign === 'inverted';
        // Standard sign: UTC = local + deviation, so the zone (minutes east of UTC) is -deviation.
        this.#tz = !dt || dt.deviation === DEVIATION_NOT_SPECIFIED ? null : inverted ? dt.deviation : -dt.deviation;
      } catch (e) {
        if (!(e instanceof SessionError) || e.fatal) throw e;
        this.#tz = null;
      }
    }
    return this.#tz;
  }

  #context(archive: string, tz: number | null, captureObjects: CaptureObject[]): DecodingContext {
    return { archive, retentionDays: this.retentionDays.get(archive) ?? 0, deviceTzMinutes: tz, source: 'POLL', captureObjects, journal: null, eventCodes: null };
  }

  #frame(apdu: Uint8Array, receivedAt: number, context: DecodingContext): CollectedFrame {
    return { frameId: `${this.sessionId}/${this.#seq++}`, sessionId: this.sessionId, apdu, receivedAt, context };
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
        case 'clock-sync':
          return { ok: false, reason: 'unsupported', note: 'clock-sync is run by the scheduler as clock-read and clock-write' };
        default:
          return await this.#configure(request.function, request.params ?? {});
      }
    } catch (e) {
      // Parameters that cannot be encoded (answers that cannot be decoded are session errors): a retry would fail alike.
      if (e instanceof ParamError || isDlmsError(e)) return { ok: false, reason: 'refused', note: e.message };
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

  /** Tariff calendar, special days and limiter commands on the objects the device profile names; Push Setups by OBIS. */
  async #configure(fn: ConfigureFunction, params: Record<string, unknown>): Promise<ControlOutcome> {
    if (fn === 'push-setup-read' || fn === 'push-setup-write') return this.#pushSetup(fn, params);
    const key = fn.startsWith('tariff-') ? 'activityCalendar' : fn.startsWith('special-days-') ? 'specialDays' : 'limiter';
    const obis = this.profile[key];
    if (!obis) return { ok: false, reason: 'unsupported', note: `device profile ${this.profile.id} names no ${CONFIG_OBJECTS[key]} (${key})` };
    const ln = parseObis(obis);
    const cal = activityCalendarAttributes, days = specialDaysAttributes.entries, lim = limiterAttributes;
    const get = <T>(m: Member<T>) => this.#get(CONFIG_CLASSES[key], ln, m);
    const set = <T>(m: Member<T>, v: T) => this.#set(CONFIG_CLASSES[key], ln, m, v);
    const calendar = async (passive: boolean) => calendarToJson({
      name: await get(passive ? cal.calendarNamePassive : cal.calendarNameActive),
      seasons: await get(passive ? cal.seasonProfilePassive : cal.seasonProfileActive),
      weeks: await get(passive ? cal.weekProfileTablePassive : cal.weekProfileTableActive),
      days: await get(passive ? cal.dayProfileTablePassive : cal.dayProfileTableActive),
    });
    switch (fn) {
      case 'tariff-read-active':
        return { ok: true, value: { calendar: await calendar(false) } };
      case 'tariff-read-passive': {
        const passive = await calendar(true);
        const ms = dateTimeToUtcMs(await get(cal.activatePassiveCalendarTime), await this.#zoneOptions());
        return { ok: true, value: { calendar: passive, activateAt: ms === null ? null : new Date(ms).toISOString() } };
      }
      case 'tariff-write-passive': {
        const c = calendarFromJson(params.calendar);
        await set(cal.calendarNamePassive, c.name);
        await set(cal.seasonProfilePassive, c.seasons);
        await set(cal.weekProfileTablePassive, c.weeks);
        await set(cal.dayProfileTablePassive, c.days);
        return { ok: true };
      }
      case 'tariff-activate': {
        if (params.activateAt === undefined) {
          const activate = activityCalendarMethods.activatePassiveCalendar;
          await named(activate, this.session.action({ classId: ClassId.activityCalendar, instanceId: ln, methodId: activate.id }, activate.encode(0)));
          return { ok: true, value: { activated: true } };
        }
        const ms = instantFromText(params.activateAt, 'activateAt');
        await set(cal.activatePassiveCalendarTime, await this.#deviceDateTime(ms));
        return { ok: true, value: { activateAt: new Date(ms).toISOString() } };
      }
      case 'special-days-read':
        return { ok: true, value: { days: specialDaysToJson(await get(days)) } };
      case 'special-days-write': {
        const entries = specialDaysFromJson(params.days, await get(days));
        const insert = specialDaysMethods.insert;
        for (const e of entries) await named(insert, this.session.action({ classId: ClassId.specialDaysTable, instanceId: ln, methodId: insert.id }, insert.encode(e)));
        return { ok: true, value: { days: specialDaysToJson(entries) } };
      }
      case 'special-days-delete': {
        const entries = specialDaysToDelete(params.indexes, params.dates, await get(days));
        const remove = specialDaysMethods.delete;
        for (const e of entries) await named(remove, this.session.action({ classId: ClassId.specialDaysTable, instanceId: ln, methodId: remove.id }, remove.encode(e.index)));
        return { ok: true, value: { days: specialDaysToJson(entries) } };
      }
      case 'limits-read':
        return {
          ok: true,
          value: {
            limits: limitsToJson({
              monitoredValue: await get(lim.monitoredValue), thresholdActive: await get(lim.thresholdActive), thresholdNormal: await get(lim.thresholdNormal),
              thresholdEmergency: await get(lim.thresholdEmergency), minOverThresholdDuration: await get(lim.minOverThresholdDuration),
              minUnderThresholdDuration: await get(lim.minUnderThresholdDuration),
            }),
          },
        };
      case 'limits-write': {
        const l = limitsFromJson(params.limits);
        // Every threshold is encoded (in the type the meter keeps it in) before anything is written.
        const thresholds: [Member<DlmsData>, DlmsData][] = [];
        for (const k of ['thresholdActive', 'thresholdNormal', 'thresholdEmergency'] as const) {
          const v = l[k];
          if (v !== undefined) thresholds.push([lim[k], thresholdData(v, await get(lim[k]), `limits.${k}`)]);
        }
        if (l.monitoredValue) await set(lim.monitoredValue, l.monitoredValue);
        for (const [m, d] of thresholds) await set(m, d);
        if (l.minOverThresholdDuration !== undefined) await set(lim.minOverThresholdDuration, l.minOverThresholdDuration);
        if (l.minUnderThresholdDuration !== undefined) await set(lim.minUnderThresholdDuration, l.minUnderThresholdDuration);
        return { ok: true };
      }
    }
  }

  /** A Push Setup (class 40): its object list, destination, window and randomisation; a write sets those given. */
  async #pushSetup(fn: 'push-setup-read' | 'push-setup-write', params: Record<string, unknown>): Promise<ControlOutcome> {
    if (typeof params.pushSetup !== 'string') throw new ParamError('pushSetup: the Push Setup\'s OBIS code is required');
    const ln = parseObis(params.pushSetup);
    const a = pushSetupAttributes;
    const get = <T>(m: Member<T>) => this.#get(ClassId.pushSetup, ln, m);
    const set = <T>(m: Member<T>, v: T) => this.#set(ClassId.pushSetup, ln, m, v);
    if (fn === 'push-setup-write') {
      const w = pushSetupFromJson(params.push);
      if (w.pushObjectList) await set(a.pushObjectList, w.pushObjectList);
      if (w.destination) {
        const current = await get(a.sendDestinationAndMethod);
        await set(a.sendDestinationAndMethod, { ...current, transportService: w.destination.transportService ?? current.transportService, destination: w.destination.destination });
      }
      if (w.communicationWindow) await set(a.communicationWindow, w.communicationWindow);
      if (w.randomisationStartInterval !== undefined) await set(a.randomisationStartInterval, w.randomisationStartInterval);
    }
    const value = pushSetupToJson({
      pushObjectList: await get(a.pushObjectList), sendDestinationAndMethod: await get(a.sendDestinationAndMethod),
      communicationWindow: await get(a.communicationWindow), randomisationStartInterval: await get(a.randomisationStartInterval),
    });
    return { ok: true, value: { pushSetup: formatObis(ln), ...value } };
  }

  /** GET one attribute in its class view; a data-access error names the attribute. */
  async #get<T>(classId: number, ln: Uint8Array, m: Member<T>): Promise<T> {
    const d = await named(m, this.session.get({ classId, instanceId: ln, attributeId: m.id }));
    try {
      return m.decode(d);
    } catch (e) {
      if (isDlmsError(e)) throw new SessionError('data', `unexpected answer: ${e.message}`, 'type-unmatched');
      throw e;
    }
  }

  async #set<T>(classId: number, ln: Uint8Array, m: Member<T>, value: T): Promise<void> {
    await named(m, this.session.set({ classId, instanceId: ln, attributeId: m.id }, m.encode(value)));
  }

  get #inverted(): boolean {
    return this.session.connection.settings.quirks.deviationSign === 'inverted';
  }

  /** How this meter's date-times name instants: its deviation sign, and its zone where a value gives none. */
  async #zoneOptions(): Promise<DateTimeOptions> {
    const tz = await this.#deviceTz();
    return { deviationSign: this.#inverted ? 'inverted' : 'standard', ...(tz === null ? {} : { defaultDeviation: this.#inverted ? tz : -tz }) };
  }

  /** An instant as the meter's local date-time in its zone (as UTC when its clock names no zone). */
  async #deviceDateTime(utcMs: number): Promise<CosemDateTime> {
    const tz = await this.#deviceTz();
    const dt = dateTimeFromUtcMs(utcMs, tz === null ? 0 : -tz);
    return this.#inverted ? { ...dt, deviation: -dt.deviation } : dt;
  }

  firmware(): FirmwareLink | undefined {
    const f = this.profile.firmware;
    if (!f) return undefined;
    const c = this.session.connection;
    return {
      session: this.session, imageTransferObis: f.imageTransfer, firmwareVersionObis: f.version ?? null,
      maxPdu: c.negotiated?.serverMaxReceivePduSize || 0xffff, ciphered: c.settings.keys !== undefined && c.settings.securityPolicy !== 'none',
    };
  }

  async close(): Promise<string> {
    try {
      await this.session.close();
    } finally {
      this.closed();
    }
    return this.log.toText();
  }
}

/** A GET-Response-Normal carrying `value`, as the session received it (blocks reassembled). */
function normalResponse(value: DlmsData): Uint8Array {
  return encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: RESPONSE_IID, result: { type: 'data', value } });
}

const PRINTABLE = /^[\x20-\x7e]*$/;

/** A state value as operators read it: numbers, booleans, text, date-times; anything else as typed JSON. */
export function stateValue(d: DlmsData): unknown {
  switch (d.type) {
    case 'visible-string':
    case 'utf8-string':
    case 'boolean':
      return d.value;
    case 'date-time':
      return formatDateTime(d.value);
    case 'octet-string': {
      const dt = d.value.length === 12 ? dateTimeOf(d) : null;
      if (dt && isValidDateTime(dt)) return formatDateTime(dt);
      const text = new TextDecoder().decode(d.value);
      return PRINTABLE.test(text) ? text : dataToJson(d);
    }
    default: {
      const v = dataToJson(d) as Record<string, unknown>;
      const x = v[d.type];
      return typeof x === 'number' || typeof x === 'string' ? x : v;
    }
  }
}

/** The plain value of a simple data object as readValue returns it (`{data: {enum: 1}}` → 1). */
function scalar(v: ValueJson): unknown {
  if (!('data' in v)) return 'value' in v ? v.value : undefined;
  return v.data !== null && typeof v.data === 'object' ? Object.values(v.data)[0] : v.data;
}

/** A session step on one attribute, its data-access errors prefixed with the attribute's name. */
async function named<T>(m: Member<unknown>, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (e) {
    if (e instanceof SessionError && !e.fatal) throw new SessionError(e.phase, `${m.name}: ${e.message}`, e.reason);
    throw e;
  }
}

function failed(e: unknown): CollectOutcome {
  if (isDlmsError(e)) return { status: 'error', records: [], note: e.message }; // e.g. a buffer cut short
  if (!(e instanceof SessionError)) throw e;
  return { status: e.reason === 'object-undefined' ? 'unsupported' : 'error', records: [], note: e.message };
}
