/**
 * Pieces both connection roles share: the endpoint base (framing, ciphering session, outbox, events), result
 * naming, ACSE diagnostic names, block splitting, HLS method.
 */
import {
  AcseServiceProviderDiagnostic,
  AcseServiceUserDiagnostic,
  AssociationResult,
  type AssociateSourceDiagnostic,
} from '../apdu/acse/index.js';
import { dataAccessResultName, encodeApdu, type Apdu, type CosemMethodDescriptor, type GetDataResult } from '../apdu/index.js';
import { codeNames } from '../apdu/xdlms/common.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';
import { parseObis } from '../obis.js';
import type { ReplayGuardState } from '../security/index.js';
import type { FramingEvent, FramingLayer } from './framing.js';
import { CIPHERING_OVERHEAD, type CipheringSession } from './session.js';
import type { Authentication, ConnectionSettings } from './settings.js';

/** The xDLMS version proposed and accepted (DLMS UA: 6). */
export const DLMS_VERSION = 6;

/** A GET result as the application sees it: the data, or the data-access-result with its standard name. */
export type AccessOutcome = { type: 'data'; value: DlmsData } | { type: 'data-access-result'; value: number; name: string };

export function accessOutcome(r: GetDataResult): AccessOutcome {
  return r.type === 'data' ? r : { type: 'data-access-result', value: r.value, name: dataAccessResultName(r.value) };
}

const associationResultNames = codeNames(AssociationResult);
const userDiagnosticNames = codeNames(AcseServiceUserDiagnostic);
const providerDiagnosticNames = codeNames(AcseServiceProviderDiagnostic);

/** e.g. 1 → "rejected-permanent". */
export function associationResultName(result: number): string {
  return associationResultNames(result);
}

/** e.g. acse-service-user 13 → "authentication-failure". */
export function diagnosticName(d: AssociateSourceDiagnostic): string {
  return (d.source === 'acse-service-user' ? userDiagnosticNames : providerDiagnosticNames)(d.code);
}

/** Cut `data` into blocks of at most `size` bytes (at least one block, possibly empty). */
export function splitBlocks(data: Uint8Array, size: number): Uint8Array[] {
  if (size < 1) throw new DlmsError('DLMS_ERR_VALUE', `the peer's PDU size leaves no room for block data (${size} bytes)`);
  const blocks: Uint8Array[] = [];
  for (let off = 0; off < data.length || off === 0; off += size) blocks.push(data.subarray(off, off + size));
  return blocks;
}

/** Current association (Association LN, class 15, 0.0.40.0.0.255), method 1 reply_to_HLS_authentication. */
export const REPLY_TO_HLS: Readonly<CosemMethodDescriptor> = Object.freeze({
  classId: 15,
  instanceId: parseObis('0.0.40.0.0.255'),
  methodId: 1,
});

export function isReplyToHls(m: CosemMethodDescriptor): boolean {
  return m.classId === REPLY_TO_HLS.classId && m.methodId === REPLY_TO_HLS.methodId && m.instanceId.every((b, i) => b === REPLY_TO_HLS.instanceId[i]);
}

/**
 * Raw-data bytes that fit in one block APDU of at most `maxPdu` bytes: the APDU built around an empty block is
 * measured, plus 2 for the longest length prefix and the ciphering envelope when there is one.
 */
export function blockRoom(emptyBlockApdu: Apdu, maxPdu: number, ciphered: boolean): number {
  return maxPdu - encodeApdu(emptyBlockApdu).length - 2 - (ciphered ? CIPHERING_OVERHEAD : 0);
}

/** Largest APDU taken from the link: a full PDU plus room for the ciphering envelope around it. */
export function maxApduSize(s: ConnectionSettings): number {
  return s.maxReceivePduSize + 64;
}

export function requireHlsRandom(authentication: Authentication, random: ((length: number) => Uint8Array) | undefined): void {
  if (authentication === 'high-gmac' && !random) throw new DlmsError('DLMS_ERR_VALUE', 'HLS needs a random source for the challenge');
}

/** Something received was refused; both roles report it as this event. */
export type ErrorEvent = { type: 'error'; error: DlmsError };

/** What a client and a server connection both are: bytes in through the framing layer, bytes and events out. */
export abstract class ConnectionEndpoint<Event extends { type: string }> {
  protected readonly outbox: Uint8Array[] = [];
  protected readonly events: (Event | ErrorEvent)[] = [];

  protected constructor(
    readonly settings: ConnectionSettings,
    protected readonly framing: FramingLayer,
    protected readonly session: CipheringSession,
  ) {}

  /** The value the next ciphered APDU sent will carry: persist it. */
  get invocationCounter(): number {
    return this.session.counter.value;
  }

  /** The peer's last accepted counters: persist them with the invocation counter. */
  replayGuardState(): ReplayGuardState {
    return this.session.replayGuard.exportState();
  }

  takeOutgoing(): Uint8Array[] {
    return this.outbox.splice(0);
  }

  nextEvent(): Event | ErrorEvent | undefined {
    return this.events.shift();
  }

  receiveData(chunk: Uint8Array): void {
    this.framed((events) => this.framing.receive(chunk, events));
  }

  /** Runs a framing-layer call: queues the frames it returns, then handles the events it reports. */
  protected framed(call: (events: FramingEvent[]) => Uint8Array[]): void {
    const events: FramingEvent[] = [];
    this.write(call(events));
    for (const e of events) {
      if (e.type === 'apdu') this.receiveApdu(e.apdu);
      else if (e.type === 'link-error') this.events.push({ type: 'error', error: e.error });
      else this.onLink(e);
    }
  }

  /** The link came up or went down. */
  protected abstract onLink(e: Extract<FramingEvent, { type: 'link-connected' | 'link-disconnected' }>): void;

  protected abstract receiveApdu(apdu: Uint8Array): void;

  protected write(frames: Uint8Array[]): void {
    for (const f of frames) this.outbox.push(f);
  }

  protected send(apdu: Uint8Array): void {
    this.write(this.framing.send(apdu));
  }

  /** A DlmsError becomes an `error` event; anything else is a bug and propagates. */
  protected fail(e: unknown): void {
    if (!(e instanceof DlmsError)) throw e;
    this.events.push({ type: 'error', error: e });
  }
}
