/**
 * The session engine: one DLMS client session over any ByteTransport, driving the codec's sans-I/O
 * DlmsClientConnection. It owns the timer (the protocol's wait time), resends the last frames up to the
 * resend count, turns connection events into results or SessionErrors with the operator's words, records
 * steps (and the trace) in the exchange log, publishes frames to the raw-frame sink and persists the
 * invocation counter per device and key.
 *
 *   const s = await DlmsSession.open(transport, settings, options);   // link + association
 *   const clock = await s.readClock();
 *   const rows = await s.readProfile('1.0.99.1.0.255', { from, to });
 *   await s.close();                                                    // release, disconnect, close
 */
import { encodeDateTime, dateTimeFromUtcMs, dateTimeToUtcMs } from '../../decoders/dlms/axdr/datetime.js';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { rangeAccess, type CosemAttributeDescriptor, type CosemMethodDescriptor, type SelectiveAccess } from '../../decoders/dlms/apdu/index.js';
import { hasConformance, type ConformanceBit } from '../../decoders/dlms/apdu/xdlms/initiate/index.js';
import { DlmsClientConnection, type AccessOutcome, type ClientEvent, type ConnectionSettingsInit } from '../../decoders/dlms/connection/index.js';
import { compileRowLayout, decodeCaptureObjects, decodeProfileBuffer, type CaptureObject } from '../../decoders/dlms/cosem/profile-generic.js';
import { DlmsError } from '../../decoders/dlms/errors.js';
import { pooledRandomBytes } from '../../decoders/dlms/security/random.js';
import { formatObis, parseObis } from '../../decoders/dlms/obis.js';
import { decodeScalerUnit, unitSymbol, type ScalerUnit } from '../../decoders/dlms/units.js';
import type { ExchangeLog } from '../exchange-log/log.js';
import { FrameSplitter, type RawFrame, type RawFrameSink } from '../transport/frames.js';
import type { ByteTransport } from '../transport/transport.js';
import { counterKeyId, type InvocationCounterStore } from './counters.js';
import { SessionError, type SessionPhase } from './errors.js';
import { dateTimeOf, valueToJson, type ValueJson } from './values.js';

export type NotificationEvent = Extract<ClientEvent, { type: 'data-notification' | 'event-notification' }>;

export interface SessionOptions {
  /** The protocol's wait time: how long to wait for an answer before resending (default 5000 ms). */
  waitTimeMs?: number;
  /** The protocol's resend count: how many times the same frames are sent again (default 2). */
  resendCount?: number;
  /** Random source for HLS challenges (default node:crypto, pooled). */
  random?: (length: number) => Uint8Array;
  log?: ExchangeLog;
  sink?: RawFrameSink;
  /** Publish sent frames to the sink too (detail mode). */
  publishSent?: boolean;
  context?: { deviceId?: string; projectId?: string; channel?: string };
  /** Persist the invocation counter of ciphered sessions under this device id. */
  counters?: { store: InvocationCounterStore; deviceId: string };
  /** DataNotification / EventNotification arriving during the session. */
  onNotification?(e: NotificationEvent): void;
}

export interface ClockReading {
  dateTime: string;
  utc: string | null;
  utcMs: number | null;
  clockStatus: number;
}

export interface ProfileRange {
  fromMs: number;
  toMs: number;
  /** Deviation written in the range bounds (minutes, the codec's sign); default 0 = UTC. */
  deviation?: number | null;
}

/** What the device profile (driver) already knows, to skip reading it from the meter. */
export interface ProfileHints {
  captureObjects?: CaptureObject[];
  scalerUnits?: (ScalerUnit | null)[];
  capturePeriod?: number;
}

/** A Profile Generic buffer as read: its Data as encoded (blocks joined) with the capture objects and scalers that describe it. */
export interface ProfileBuffer {
  captureObjects: CaptureObject[];
  scalerUnits: (ScalerUnit | null)[];
  /** The buffer attribute's Data, undecoded: `decodeProfileBuffer` reads it into columns, the pipeline takes it as it is. */
  data: Uint8Array;
}

export interface ProfileReading {
  columns: { object: string; unit: string | null }[];
  /**
   * timestamp: UTC ms of the row (null when the meter sent none usable); clockStatus: null when not sent or
   * 0xFF (not specified); values: scaled numbers, null for null-data or a cell that is not a number.
   */
  rows: { timestamp: number | null; clockStatus: number | null; values: (number | null)[] }[];
}

interface Waiter {
  phase: SessionPhase;
  what: string;
  accept(e: ClientEvent): unknown;
  resolve(v: unknown): void;
  reject(e: Error): void;
  resends: number;
  /** Frames of the meter refused while waiting (FCS, wrapper header, deciphering, decoding) and the first reason. */
  refused: number;
  refusal?: string;
}

const frames = (n: number) => `${n} frame${n === 1 ? '' : 's'}`;

const CLOCK: CosemAttributeDescriptor = { classId: 8, instanceId: parseObis('0.0.1.0.0.255'), attributeId: 2 };
const CLOCK_COLUMN: CaptureObject = { classId: 8, logicalName: CLOCK.instanceId, attributeIndex: 2, dataIndex: 0 };

/**
 * A refusal of the association (or of a request's invocation counter) that follows refused or lost answer
 * frames says nothing about keys or settings: the meter judged a resent request, or the client a damaged
 * answer. Such a failure is named for the frames (frame-check-failed / frames-lost) and ends the session.
 */
function linkFault(w: Waiter, e: Error): Error {
  if (!(e instanceof SessionError) || (w.phase !== 'associate' && e.reason !== 'invocation-counter-error')) return e;
  if (w.refused) return new SessionError(w.phase, `${w.what}: frame check failed: ${frames(w.refused)} from the meter refused (${w.refusal}); then ${e.message}`, 'frame-check-failed');
  if (w.resends) return new SessionError(w.phase, `${w.what}: the answer was lost (request resent ${w.resends} time${w.resends === 1 ? '' : 's'}); then ${e.message}`, 'frames-lost');
  return e;
}

export function describeAttribute(a: CosemAttributeDescriptor): string {
  return `${a.classId}/${formatObis(a.instanceId)}/${a.attributeId}`;
}

/** The operator's words for a data-access-result / action-result name. */
function resultMessage(name: string, what: string): string {
  if (name === 'object-undefined') return `object not found: ${what}`;
  if (name === 'read-write-denied') return `access denied: ${what}`;
  return `${name}: ${what}`;
}

export class DlmsSession {
  readonly connection: DlmsClientConnection;
  private readonly waitTimeMs: number;
  private readonly resendCount: number;
  private readonly splitter: FrameSplitter | undefined;
  private waiter: Waiter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private armed = false;
  private lost: string | undefined;
  private closed = false;

  private constructor(
    private readonly transport: ByteTransport,
    settings: ConnectionSettingsInit,
    private readonly o: SessionOptions,
  ) {
    this.waitTimeMs = o.waitTimeMs ?? 5000;
    this.resendCount = o.resendCount ?? 2;
    this.connection = new DlmsClientConnection(settings, { random: o.random ?? pooledRandomBytes });
    if (o.sink || o.log?.detail) this.splitter = new FrameSplitter(this.connection.settings.framing);
    transport.attach({ onData: (c) => this.onData(c), onClose: (r) => this.onClose(r) });
  }

  /** Connect the link and associate; on failure the transport is closed and the SessionError thrown. */
  static async open(transport: ByteTransport, settings: ConnectionSettingsInit, options: SessionOptions = {}): Promise<DlmsSession> {
    let init = settings;
    const c = options.counters;
    const keyId = c && settings.keys ? counterKeyId(settings.clientAddress ?? 16, settings.keys.blockCipherKey) : undefined;
    if (c && keyId) {
      const saved = await c.store.load(c.deviceId, keyId);
      if (saved) {
        init = {
          ...settings,
          invocationCounter: Math.max(saved.invocationCounter, settings.invocationCounter ?? 0),
          ...(saved.replayGuard ? { replayGuard: saved.replayGuard } : {}),
        };
      }
    }
    let s: DlmsSession;
    try {
      s = new DlmsSession(transport, init, options);
    } catch (e) {
      transport.close();
      if (e instanceof DlmsError) throw new SessionError('connect', `could not start a session: ${e.message}`, 'settings');
      throw e;
    }
    try {
      await s.step('connect', () => s.linkUp());
      await s.step('associate', () => s.associate());
    } catch (e) {
      await s.saveCounters();
      s.closeTransport();
      throw e;
    }
    return s;
  }

  get invocationCounter(): number {
    return this.connection.invocationCounter;
  }

  /** Whether the association negotiated a conformance bit (e.g. multiple-references for GET-With-List). */
  supports(bit: ConformanceBit): boolean {
    const n = this.connection.negotiated;
    return n !== undefined && hasConformance(n.negotiatedConformance, bit);
  }

  /**
   * GET several attributes in one request (GET-Request-With-List; needs multiple-references). One outcome
   * per attribute: data, or the data-access-result the meter gave for that attribute.
   */
  getWithList(attributes: CosemAttributeDescriptor[]): Promise<AccessOutcome[]> {
    const what = attributes.map(describeAttribute).join(', ');
    return this.step(`get-with-list ${what}`, () =>
      this.exchange('data', what, () => this.connection.getWithList(attributes.map((attribute) => ({ attribute }))), (e) => {
        if (e.type !== 'get-with-list-response') return this.serviceError(e, what);
        if (e.results.length !== attributes.length) throw new SessionError('data', `${what}: ${e.results.length} results for ${attributes.length} attributes`, 'type-unmatched');
        return e.results;
      }),
    );
  }

  /** GET one attribute (blocks as needed). A data-access-result is a SessionError('data'). */
  get(attribute: CosemAttributeDescriptor, access?: SelectiveAccess): Promise<DlmsData> {
    const what = describeAttribute(attribute);
    return this.step(`get ${what}${access ? ` selector ${access.selector}` : ''}`, () =>
      this.exchange('data', what, () => this.connection.get(attribute, access), (e) => (e.type === 'get-response' ? this.data(e.result, what) : this.serviceError(e, what))),
    );
  }

  /** GET one attribute, its Data left encoded (blocks joined): for a consumer that decodes it its own way. */
  getEncoded(attribute: CosemAttributeDescriptor, access?: SelectiveAccess): Promise<Uint8Array> {
    const what = describeAttribute(attribute);
    return this.step(`get ${what}${access ? ` selector ${access.selector}` : ''}`, () =>
      this.exchange('data', what, () => this.connection.get(attribute, access, { encoded: true }), (e) => {
        if (e.type === 'get-response-encoded') return e.data;
        if (e.type === 'get-response') {
          this.data(e.result, what); // a data-access-result throws; decoded data is not what was asked for
          throw new SessionError('data', `${what}: decoded data to an encoded GET`, 'type-unmatched');
        }
        return this.serviceError(e, what);
      }),
    );
  }

  set(attribute: CosemAttributeDescriptor, value: DlmsData): Promise<void> {
    const what = describeAttribute(attribute);
    return this.step(`set ${what}`, () =>
      this.exchange('data', what, () => this.connection.set(attribute, value), (e) => {
        if (e.type !== 'set-response') return this.serviceError(e, what);
        if (e.result !== 0) throw new SessionError('data', resultMessage(e.name, what), e.name);
        return true;
      }).then(() => undefined),
    );
  }

  /** ACTION; resolves with the return data, or null when the method returned none. */
  action(method: CosemMethodDescriptor, parameters?: DlmsData): Promise<DlmsData | null> {
    const what = `${method.classId}/${formatObis(method.instanceId)}/${method.methodId}`;
    return this.step(`action ${what}`, () =>
      this.exchange('data', what, () => this.connection.action(method, parameters), (e) => {
        if (e.type !== 'action-response') return this.serviceError(e, what);
        if (e.result !== 0) throw new SessionError('data', resultMessage(e.name, what), e.name);
        return e.returnData ? this.data(e.returnData, what) : null;
      }),
    );
  }

  /** A value with its unit: registers (class 3, 4) and demand registers (5) read their scaler_unit too. */
  async readValue(attribute: CosemAttributeDescriptor): Promise<ValueJson> {
    const value = await this.get(attribute);
    const suAttr = scalerUnitAttribute(attribute);
    if (!suAttr) return valueToJson(value);
    return valueToJson(value, decodeScalerUnit(await this.get({ ...attribute, attributeId: suAttr })));
  }

  async readClock(): Promise<ClockReading> {
    const d = await this.get(CLOCK);
    const dt = dateTimeOf(d);
    if (!dt) throw new SessionError('data', `the clock is not a date-time (${d.type})`, 'type-unmatched');
    const v = valueToJson(d) as Extract<ValueJson, { dateTime: string }>;
    return { ...v, utcMs: dateTimeToUtcMs(dt) };
  }

  /** Set the clock to `utcMs` with the given deviation (minutes, the codec's sign). */
  writeClock(utcMs: number, deviation: number | null = 0): Promise<void> {
    return this.set(CLOCK, { type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(utcMs, deviation)) });
  }

  /**
   * Read a Profile Generic buffer, by time range when given (selective access by range on the clock column).
   * Capture objects and scalers are read from the meter unless the hints bring them.
   */
  async readProfile(obis: string, range?: ProfileRange, hints: ProfileHints = {}): Promise<ProfileReading> {
    const { captureObjects, scalerUnits, data } = await this.readProfileBuffer(obis, range, hints);
    const layout = compileRowLayout(captureObjects, { scalerUnits, ...(hints.capturePeriod ? { capturePeriod: hints.capturePeriod } : {}) });
    let decoded;
    try {
      decoded = decodeProfileBuffer(layout, data);
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
      throw new SessionError('data', `profile ${obis}: ${e.message}`, 'type-unmatched');
    }
    const { count, timestamps, clockStatus, values } = decoded;
    const rows: ProfileReading['rows'] = new Array(count);
    const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);
    for (let i = 0; i < count; i++) {
      const status = clockStatus[i]!;
      rows[i] = { timestamp: orNull(timestamps[i]!), clockStatus: status === 0xff ? null : status, values: values.map((column) => orNull(column[i]!)) };
    }
    return {
      columns: layout.valueColumns.map((c) => {
        const o = captureObjects[c]!;
        const su = scalerUnits[c];
        return { object: `${o.classId}/${formatObis(o.logicalName)}/${o.attributeIndex}`, unit: su ? unitSymbol(su.unit) : null };
      }),
      rows,
    };
  }

  /** The buffer of a Profile Generic, left encoded, with its capture objects and scalers (read unless the hints bring them). */
  async readProfileBuffer(obis: string, range?: ProfileRange, hints: ProfileHints = {}): Promise<ProfileBuffer> {
    const ln = parseObis(obis);
    const captureObjects = hints.captureObjects ?? decodeCaptureObjects(await this.get({ classId: 7, instanceId: ln, attributeId: 3 }));
    const scalerUnits = hints.scalerUnits ?? (await this.readScalers(captureObjects));
    let access: SelectiveAccess | undefined;
    if (range) {
      const restricting = captureObjects.find((c) => c.classId === 8 && c.attributeIndex === 2) ?? CLOCK_COLUMN;
      const bound = (ms: number): DlmsData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(ms, range.deviation ?? 0)) });
      access = rangeAccess({ restrictingObject: restricting, fromValue: bound(range.fromMs), toValue: bound(range.toMs), selectedValues: [] });
    }
    return { captureObjects, scalerUnits, data: await this.getEncoded({ classId: 7, instanceId: ln, attributeId: 2 }, access) };
  }

  /** Release the association (best effort), close the link and the transport, persist the counters. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.lost && this.connection.state === 'associated') {
        await this.step('release', () => this.exchange('associate', 'release', () => this.connection.release(), (e) => (e.type === 'released' ? true : undefined))).catch(
          () => undefined,
        );
      }
      if (!this.lost && this.connection.state !== 'disconnected') {
        await this.step('disconnect', () =>
          this.exchange('connect', 'disconnect', () => this.connection.disconnect(), (e) => (e.type === 'link-disconnected' ? true : undefined)),
        ).catch(() => undefined);
      }
    } finally {
      await this.saveCounters();
      this.closeTransport();
    }
  }

  /** Drop the session without release (the transport is closed). */
  async abort(): Promise<void> {
    await this.saveCounters();
    this.closeTransport();
  }

  // ---- steps ----

  private async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (!this.o.log) return fn();
    const startedAt = Date.now();
    try {
      const v = await fn();
      this.o.log.step({ name, startedAt, durationMs: Date.now() - startedAt, ok: true });
      return v;
    } catch (e) {
      this.o.log.step({ name, startedAt, durationMs: Date.now() - startedAt, ok: false, error: (e as Error).message });
      throw e;
    }
  }

  private linkUp(): Promise<unknown> {
    return this.exchange('connect', 'link', () => this.connection.connect(), (e) => {
      if (e.type === 'link-connected') return true;
      if (e.type === 'link-disconnected') throw new SessionError('connect', 'could not start a session: the meter refused the link', 'refused');
      return undefined;
    });
  }

  private associate(): Promise<unknown> {
    return this.exchange('associate', 'association', () => this.connection.associate(), (e) => {
      switch (e.type) {
        case 'associated':
          if (this.o.log) this.o.log.serverSystemTitle = e.serverSystemTitle;
          return true;
        case 'association-rejected':
          if (e.diagnostic === 'authentication-failure' || e.diagnostic === 'authentication-required' || e.diagnostic.startsWith('authentication-mechanism')) {
            throw new SessionError('associate', `authentication failed (${e.result}, ${e.diagnostic})`, 'authentication-failed');
          }
          throw new SessionError('associate', `association rejected: ${e.result}, ${e.diagnostic}${e.serviceError ? `, ${e.serviceError}` : ''}`, 'rejected');
        case 'authentication-failed':
          throw new SessionError('associate', `authentication failed: ${e.reason}`, 'authentication-failed');
        case 'exception-response':
          throw new SessionError('associate', `association refused: ${e.stateError} ${e.serviceError}`, 'rejected');
        default:
          return undefined;
      }
    });
  }

  private data(r: AccessOutcome, what: string): DlmsData {
    if (r.type === 'data') return r.value;
    throw new SessionError('data', resultMessage(r.name, what), r.name);
  }

  private serviceError(e: ClientEvent, what: string): undefined {
    if (e.type === 'exception-response') throw new SessionError('data', `${what}: exception ${e.stateError} / ${e.serviceError}`, e.serviceError);
    if (e.type === 'confirmed-service-error') throw new SessionError('data', `${what}: ${e.description}`, 'service-error');
    return undefined;
  }

  /**
   * The scaler_unit of each object that has one (registers, demand registers), else null; one
   * GET-With-List when the meter takes it. A scaler the meter does not answer is null.
   */
  async readScalers(objects: CaptureObject[]): Promise<(ScalerUnit | null)[]> {
    const attributes = objects.map((o) => scalerUnitAttribute({ classId: o.classId, instanceId: o.logicalName, attributeId: o.attributeIndex }));
    const wanted = objects.flatMap((o, i) => (attributes[i] ? [{ classId: o.classId, instanceId: o.logicalName, attributeId: attributes[i] }] : []));
    if (wanted.length > 1 && this.supports('multiple-references')) {
      const results = await this.getWithList(wanted);
      let k = 0;
      return attributes.map((a) => {
        if (!a) return null;
        const r = results[k++]!;
        return r.type === 'data' ? decodeScalerUnit(r.value) : null;
      });
    }
    const out: (ScalerUnit | null)[] = [];
    for (const o of objects) {
      const su = scalerUnitAttribute({ classId: o.classId, instanceId: o.logicalName, attributeId: o.attributeIndex });
      if (!su) {
        out.push(null);
        continue;
      }
      try {
        out.push(decodeScalerUnit(await this.get({ classId: o.classId, instanceId: o.logicalName, attributeId: su })));
      } catch (e) {
        if (e instanceof SessionError && !e.fatal) out.push(null);
        else throw e;
      }
    }
    return out;
  }

  // ---- the exchange loop ----

  private exchange<T>(phase: SessionPhase, what: string, start: () => void, accept: (e: ClientEvent) => T | undefined): Promise<T> {
    if (this.lost) return Promise.reject(new SessionError(phase, `connection lost: ${this.lost}`, 'closed'));
    return new Promise<T>((resolve, reject) => {
      this.waiter = { phase, what, accept, resolve: resolve as (v: unknown) => void, reject, resends: 0, refused: 0 };
      try {
        start();
      } catch (e) {
        this.waiter = undefined;
        reject(e instanceof DlmsError ? new SessionError(phase, `${what}: ${e.message}`, 'state') : e);
        return;
      }
      this.flush();
      this.drain();
      if (this.waiter) this.arm();
    });
  }

  /**
   * One timer per session, restarted by refresh() (a cleared timer cannot be refreshed, so an answer only
   * disarms it: a late expiry without a waiter is ignored); closing the session clears it.
   */
  private arm(): void {
    this.armed = true;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.onTimeout(), this.waitTimeMs);
  }

  private disarm(): void {
    this.armed = false;
  }

  private onTimeout(): void {
    const w = this.waiter;
    if (!this.armed || !w) return;
    if (w.resends < this.resendCount) {
      w.resends++;
      this.connection.resend();
      this.flush();
      this.arm();
      return;
    }
    this.waiter = undefined;
    this.connection.abandonRequest();
    if (w.refused) {
      const message = `frame check failed: ${frames(w.refused)} from the meter refused (${w.refusal}), no valid answer after ${w.resends} resends`;
      w.reject(new SessionError(w.phase, `${w.phase === 'connect' ? 'could not start a session' : w.what}: ${message}`, 'frame-check-failed'));
      return;
    }
    const base = `timeout after ${w.resends} resends`;
    const message = w.phase === 'connect' ? `could not start a session: ${base}` : w.phase === 'associate' ? `no answer to the ${w.what}: ${base}` : `${w.what}: ${base}`;
    w.reject(new SessionError(w.phase, message, 'timeout'));
  }

  private onData(chunk: Uint8Array): void {
    if (this.splitter) for (const f of this.splitter.push(chunk)) this.recordFrame('rx', f);
    this.connection.receiveData(chunk);
    this.flush();
    this.drain();
    if (this.waiter) this.arm(); // progress (blocks, segments): the wait time starts again
  }

  private onClose(reason: string): void {
    this.lost = reason;
    this.disarm();
    clearTimeout(this.timer);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(new SessionError(w.phase, w.phase === 'connect' ? `could not start a session: ${reason}` : `connection lost: ${reason}`, 'closed'));
  }

  private flush(): void {
    const frames = this.connection.takeOutgoing();
    if (frames.length === 0) return;
    if (this.splitter) for (const f of frames) this.recordFrame('tx', f);
    this.transport.write(frames);
  }

  private drain(): void {
    for (let e = this.connection.nextEvent(); e; e = this.connection.nextEvent()) {
      if (e.type === 'data-notification' || e.type === 'event-notification') {
        this.o.onNotification?.(e);
        continue;
      }
      const w = this.waiter;
      if (e.type === 'error') {
        // An answer whose counter is not above the last accepted one: the meter replays or lost its counter.
        // Waiting would only end in a timeout that hides it; this is a security failure, said as such.
        if (w && e.error.code === 'DLMS_ERR_REPLAY') {
          this.waiter = undefined;
          this.disarm();
          w.reject(new SessionError(w.phase, `security failure: ${e.error.message} (a replayed answer, or the meter's counter went back)`, 'replayed-counter'));
          continue;
        }
        // Another refused frame: the trace shows it, the timer decides; a failure of this wait then names it.
        if (w) {
          w.refused++;
          w.refusal ??= e.error.message;
        }
        continue;
      }
      if (!w) continue;
      let v: unknown;
      try {
        v = w.accept(e);
        if (v === undefined && e.type === 'link-disconnected' && w.what !== 'disconnect') {
          throw new SessionError(w.phase, `the meter ended the link (${e.reason})`, 'closed');
        }
      } catch (err) {
        this.waiter = undefined;
        this.disarm();
        w.reject(linkFault(w, err as Error));
        continue;
      }
      if (v !== undefined) {
        this.waiter = undefined;
        this.disarm();
        w.resolve(v);
      }
    }
  }

  private recordFrame(direction: 'rx' | 'tx', bytes: Uint8Array): void {
    this.o.log?.frame(direction, bytes);
    const sink = this.o.sink;
    if (!sink || (direction === 'tx' && !this.o.publishSent)) return;
    const ctx = this.o.context ?? {};
    const f: RawFrame = { direction, framing: this.connection.settings.framing, bytes, receivedAt: Date.now(), kind: 'session', remote: this.transport.remote };
    if (ctx.deviceId) f.deviceId = ctx.deviceId;
    if (ctx.projectId) f.projectId = ctx.projectId;
    if (ctx.channel) f.channel = ctx.channel;
    sink.publish(f);
  }

  private async saveCounters(): Promise<void> {
    const c = this.o.counters;
    const keys = this.connection.settings.keys;
    if (!c || !keys) return;
    await c.store.save(c.deviceId, counterKeyId(this.connection.settings.clientAddress, keys.blockCipherKey), {
      invocationCounter: this.connection.invocationCounter,
      replayGuard: this.connection.replayGuardState(),
    });
  }

  private closeTransport(): void {
    this.closed = true;
    this.disarm();
    clearTimeout(this.timer);
    this.transport.close();
  }
}

/** The scaler_unit attribute that goes with a value attribute: Register / Extended Register 2 → 3, Demand Register 2, 3 → 4. */
function scalerUnitAttribute(a: CosemAttributeDescriptor): number | undefined {
  if ((a.classId === 3 || a.classId === 4) && a.attributeId === 2) return 3;
  if (a.classId === 5 && (a.attributeId === 2 || a.attributeId === 3)) return 4;
  return undefined;
}
