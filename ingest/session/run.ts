/**
 * A whole session as data: connect, associate, run a list of operations, release — with the comm line's
 * attempts on failure. A data error ends one operation (the next still runs); a lost link, a timeout or a
 * refused association ends the attempt, and the next attempt starts over on a new transport. Authentication
 * failures are not retried: repeating a wrong secret may lock the meter's association.
 */
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import type { CosemAttributeDescriptor, CosemMethodDescriptor, SelectiveAccess } from '../../decoders/dlms/apdu/index.js';
import { dataToJson } from '../../decoders/dlms/axdr/data.js';
import type { ConnectionSettingsInit } from '../../decoders/dlms/connection/index.js';
import { formatObis } from '../../decoders/dlms/obis.js';
import { ConnectError } from '../transport/socket.js';
import type { ByteTransport } from '../transport/transport.js';
import { SessionError, type SessionPhase } from './errors.js';
import { utcIso } from './values.js';
import { describeAttribute, DlmsSession, type ProfileHints, type ProfileRange, type SessionOptions } from './session.js';

export type Operation =
  /** GET with units: registers bring their scaler_unit; selective access passes through. */
  | { op: 'get'; attribute: CosemAttributeDescriptor; access?: SelectiveAccess }
  | { op: 'set'; attribute: CosemAttributeDescriptor; value: DlmsData }
  | { op: 'action'; method: CosemMethodDescriptor; parameters?: DlmsData }
  | { op: 'clock-read' }
  /** Default: the HES's time now. */
  | { op: 'clock-write'; utcMs?: number; deviation?: number | null }
  | { op: 'profile'; obis: string; range?: ProfileRange; hints?: ProfileHints };

export interface OperationResult {
  op: Operation['op'];
  target: string;
  ok: boolean;
  value?: unknown;
  error?: string;
  reason?: string;
}

export interface SessionResult {
  ok: boolean;
  attempts: number;
  /** Why the last attempt failed as a whole (connection or association), if it did. */
  error?: { phase: SessionPhase; message: string; reason: string };
  results: OperationResult[];
}

export interface RunOptions extends SessionOptions {
  /** The comm line's attempts on failure (default 1). */
  attempts?: number;
  retryDelayMs?: number;
}

function target(o: Operation): string {
  switch (o.op) {
    case 'get':
    case 'set':
      return describeAttribute(o.attribute);
    case 'action':
      return `${o.method.classId}/${formatObis(o.method.instanceId)}/${o.method.methodId}`;
    case 'profile':
      return o.obis;
    default:
      return '8/0.0.1.0.0.255/2';
  }
}

async function perform(s: DlmsSession, o: Operation): Promise<unknown> {
  switch (o.op) {
    case 'get':
      return o.access ? dataToJson(await s.get(o.attribute, o.access)) : s.readValue(o.attribute);
    case 'set':
      return s.set(o.attribute, o.value).then(() => null);
    case 'action': {
      const r = await s.action(o.method, o.parameters);
      return r ? dataToJson(r) : null;
    }
    case 'clock-read':
      return s.readClock();
    case 'clock-write':
      return s.writeClock(o.utcMs ?? Date.now(), o.deviation ?? 0).then(() => null);
    case 'profile': {
      const p = await s.readProfile(o.obis, o.range, o.hints);
      return { columns: p.columns, rows: p.rows.map((r) => ({ time: utcIso(r.timestamp), clockStatus: r.clockStatus, values: r.values })) };
    }
  }
}

function asSessionError(e: unknown): SessionError {
  if (e instanceof SessionError) return e;
  if (e instanceof ConnectError) return new SessionError('connect', `could not start a session: ${e.message}`, 'unreachable');
  throw e;
}

export async function runSession(
  connect: () => Promise<ByteTransport>,
  settings: ConnectionSettingsInit,
  operations: readonly Operation[],
  options: RunOptions = {},
): Promise<SessionResult> {
  const attempts = Math.max(1, options.attempts ?? 1);
  let last: SessionError | undefined;
  let results: OperationResult[] = [];
  let attempt = 1;
  for (; attempt <= attempts; attempt++) {
    if (attempt > 1 && options.retryDelayMs) await new Promise((r) => setTimeout(r, options.retryDelayMs));
    results = [];
    let session: DlmsSession | undefined;
    try {
      session = await DlmsSession.open(await connect(), settings, options);
      for (const o of operations) {
        try {
          results.push({ op: o.op, target: target(o), ok: true, value: await perform(session, o) });
        } catch (e) {
          const se = asSessionError(e);
          results.push({ op: o.op, target: target(o), ok: false, error: se.message, reason: se.reason });
          if (se.fatal) throw se;
        }
      }
      await session.close();
      return { ok: results.every((r) => r.ok), attempts: attempt, results };
    } catch (e) {
      last = asSessionError(e);
      await session?.abort();
      if (last.reason === 'authentication-failed' || last.reason === 'replayed-counter') break;
    }
  }
  return { ok: false, attempts: Math.min(attempt, attempts), error: { phase: last!.phase, message: last!.message, reason: last!.reason }, results };
}
