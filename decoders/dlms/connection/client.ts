/**
 * A sans-I/O DLMS/COSEM client connection (IEC 62056-5-3 / Green Book): bytes in, bytes out, events out.
 * It owns no socket and no timer; what to retry and when to give up is the caller's.
 *
 *   disconnected ─connect()→ link-connecting ─UA→ link-connected ─associate()→ associating
 *     associating ─AARE accepted→ associated   (HLS-GMAC: → hls-authenticating ─f(CtoS) ok→ associated)
 *     associated ─release()→ releasing ─RLRE→ link-connected ─disconnect()→ disconnecting ─UA→ disconnected
 *
 * Driving it: call a method (it queues the bytes to write), write `takeOutgoing()` to the transport, feed
 * what arrives to `receiveData(chunk)`, read `nextEvent()` until undefined. One confirmed request is
 * outstanding at a time; its completion is exactly one event (`get-response`, `set-response`, ...) or an
 * `exception-response` / `confirmed-service-error`. Block transfers (GET-Request-Next, SET with datablocks,
 * general block transfer on receive) run inside and produce no event until done.
 */
import { decodeData, encodeDataBytes } from '../axdr/data.js';
import { dateTimeToUtcMs } from '../axdr/datetime.js';
import { Reader } from '../axdr/reader.js';
import type { DlmsData } from '../axdr/types.js';
import { Writer } from '../axdr/writer.js';
import { applicationContextName, mechanismName, type Aare, type Aarq } from '../apdu/acse/index.js';
import {
  actionResultName,
  dataAccessResultName,
  decodeApdu,
  encodeApdu,
  GbtReassembler,
  invokeIdAndPriority,
  type Apdu,
  type AttributeWithSelection,
  type CosemAttributeDescriptor,
  type CosemMethodDescriptor,
  type DataNotification,
  type EventNotificationRequest,
  type SelectiveAccess,
} from '../apdu/index.js';
import { ApduTag } from '../apdu/tags.js';
import { decodeGetDataResult, decodeList } from '../apdu/xdlms/common.js';
import { describeServiceError } from '../apdu/xdlms/confirmed-service-error/response.js';
import { exceptionServiceErrorName, exceptionStateErrorName } from '../apdu/xdlms/exception-response/response.js';
import { encodeInitiateRequest, type InitiateRequest, type InitiateResponse } from '../apdu/xdlms/initiate/index.js';
import { DlmsError } from '../errors.js';
import type { HdlcParameters } from '../hdlc/params.js';
import { generateChallenge, hlsGmacResponse, llsAuthenticationValue, verifyHlsGmacResponse } from '../security/index.js';
import {
  accessOutcome,
  associationResultName,
  blockRoom,
  ConnectionEndpoint,
  diagnosticName,
  DLMS_VERSION,
  maxApduSize,
  REPLY_TO_HLS,
  requireHlsRandom,
  splitBlocks,
  type AccessOutcome,
} from './common.js';
import { FramingLayer, type FramingEvent } from './framing.js';
import { CIPHERING_OVERHEAD, CipheringSession } from './session.js';
import { hdlcServerAddress, resolveSettings, type ConnectionSettingsInit } from './settings.js';

export type ClientState =
  | 'disconnected'
  | 'link-connecting'
  | 'link-connected'
  | 'associating'
  | 'hls-authenticating'
  | 'associated'
  | 'releasing'
  | 'disconnecting';

export type ClientEvent =
  | { type: 'link-connected'; hdlc?: HdlcParameters }
  /** local: after disconnect(); refused: the meter answered SNRM with DM; peer: the meter ended the link. */
  | { type: 'link-disconnected'; reason: 'local' | 'refused' | 'peer' }
  | { type: 'associated'; conformance: number; serverMaxReceivePduSize: number; dlmsVersion: number; serverSystemTitle?: Uint8Array }
  /** result e.g. "rejected-permanent", diagnostic e.g. "authentication-failure"; serviceError from a ConfirmedServiceError in the AARE. */
  | { type: 'association-rejected'; result: string; diagnostic: string; serviceError?: string }
  | { type: 'authentication-failed'; reason: string }
  | { type: 'released' }
  | { type: 'get-response'; invokeId: number; result: AccessOutcome }
  /** Answer to get(…, { encoded: true }) when the meter sent data: the Data as encoded (blocks joined), not decoded. */
  | { type: 'get-response-encoded'; invokeId: number; data: Uint8Array }
  | { type: 'get-with-list-response'; invokeId: number; results: AccessOutcome[] }
  | { type: 'set-response'; invokeId: number; result: number; name: string }
  | { type: 'action-response'; invokeId: number; result: number; name: string; returnData?: AccessOutcome }
  | { type: 'exception-response'; invokeId?: number; stateError: string; serviceError: string; invocationCounter?: number }
  | { type: 'confirmed-service-error'; invokeId?: number; description: string }
  /** utcMs: the notification time in UTC (quirks.deviationSign applied), null when not fully specified. */
  | { type: 'data-notification'; notification: DataNotification; utcMs: number | null | undefined; ciphered: boolean }
  | { type: 'event-notification'; notification: EventNotificationRequest; ciphered: boolean }
  /** Something received was refused (undecodable, not authentic, replayed, unexpected invoke-id, ...); it was dropped. */
  | { type: 'error'; error: DlmsError };

export interface ClientOptions {
  /** Random source for the HLS challenge (e.g. node:crypto randomBytes); required for HLS. */
  random?: (length: number) => Uint8Array;
  /** Length of the CtoS challenge, 8..64 (default 16). */
  challengeLength?: number;
}

type Pending =
  | { kind: 'get'; invokeId: number; list: boolean; raw?: Writer; nextBlock: number; encoded: boolean }
  | { kind: 'set'; invokeId: number; blocks: Uint8Array[]; sent: number }
  | { kind: 'action'; invokeId: number; hls: boolean };

export class DlmsClientConnection extends ConnectionEndpoint<ClientEvent> {
  private _state: ClientState = 'disconnected';
  private gbt: GbtReassembler | undefined; // made when a meter first uses general-block-transfer
  private pending: Pending | undefined;
  private lastInvokeId = 0;
  private ctos: Uint8Array | undefined;
  private _negotiated: InitiateResponse | undefined;

  constructor(
    settings: ConnectionSettingsInit = {},
    private readonly options: ClientOptions = {},
  ) {
    const s = resolveSettings(settings);
    requireHlsRandom(s.authentication, options.random);
    const framing = new FramingLayer({
      framing: s.framing,
      role: 'client',
      clientAddress: s.clientAddress,
      serverAddress: hdlcServerAddress(s),
      ...(s.hdlc ? { hdlc: s.hdlc } : {}),
      ownWPort: s.clientWPort ?? s.clientAddress,
      peerWPort: s.serverWPort ?? s.serverLogicalAddress,
      maxApduSize: maxApduSize(s),
    });
    const session = new CipheringSession(s.systemTitle, {
      policy: s.securityPolicy,
      ...(s.keys ? { keys: s.keys } : {}),
      invocationCounter: s.invocationCounter,
      ...(s.replayGuard ? { replayGuard: s.replayGuard } : {}),
    });
    super(s, framing, session);
  }

  get state(): ClientState {
    return this._state;
  }

  /** The InitiateResponse of the current association. */
  get negotiated(): Readonly<InitiateResponse> | undefined {
    return this._negotiated;
  }

  get hdlcParameters(): Readonly<HdlcParameters> | undefined {
    return this.framing.hdlcParameters;
  }

  /** Invoke-id of the outstanding request, if any. */
  get pendingInvokeId(): number | undefined {
    return this.pending?.invokeId;
  }

  /** Open the link: SNRM with the HDLC proposal (wrapper / none: connected at once). */
  connect(): void {
    this.require('connect', 'disconnected');
    this._state = 'link-connecting';
    this.framed((events) => this.framing.connect(events));
  }

  /** Send the AARQ (LLS password, or HLS-GMAC challenge; ciphered InitiateRequest under a security policy). */
  associate(): void {
    this.require('associate', 'link-connected');
    const s = this.settings;
    const ciphering = s.securityPolicy !== 'none';
    const initiate: InitiateRequest = {
      type: 'initiate-request',
      ...(ciphering && s.keys?.dedicatedKey ? { dedicatedKey: s.keys.dedicatedKey } : {}),
      responseAllowed: true,
      proposedDlmsVersionNumber: DLMS_VERSION,
      proposedConformance: s.conformance,
      clientMaxReceivePduSize: s.maxReceivePduSize,
    };
    const aarq: Aarq = { type: 'aarq', applicationContextName: applicationContextName(ciphering ? 'logical-name-ciphering' : 'logical-name') };
    if (ciphering || s.authentication === 'high-gmac') aarq.callingApTitle = s.systemTitle!;
    if (s.authentication !== 'none') {
      aarq.senderAcseRequirements = { authentication: true };
      aarq.mechanismName = mechanismName(s.authentication);
      const value = s.authentication === 'low' ? llsAuthenticationValue(s.password!) : (this.ctos = generateChallenge(this.options.random!, this.options.challengeLength));
      aarq.callingAuthenticationValue = { kind: 'charstring', value };
    }
    aarq.userInformation = ciphering ? { type: 'raw', apdu: this.session.protect(initiateRequestBytes(initiate)) } : initiate;
    this._state = 'associating';
    this.send(encodeApdu(aarq));
  }

  /**
   * GET one attribute (with selective access); long results are fetched block by block. Returns the invoke-id.
   * `encoded`: the data comes as its encoded bytes ('get-response-encoded'), for consumers that decode them
   * their own way (a profile buffer straight into columns, raw frames for the pipeline); they are not checked here.
   */
  get(attribute: CosemAttributeDescriptor, access?: SelectiveAccess, options: { encoded?: boolean } = {}): number {
    const invokeId = this.startRequest('get');
    this.pending = { kind: 'get', invokeId, list: false, nextBlock: 1, encoded: options.encoded === true };
    this.sendRequest({ type: 'get-request-normal', invokeIdAndPriority: this.iid(invokeId), attribute, ...(access ? { access } : {}) });
    return invokeId;
  }

  getWithList(attributes: AttributeWithSelection[]): number {
    const invokeId = this.startRequest('getWithList');
    this.pending = { kind: 'get', invokeId, list: true, nextBlock: 1, encoded: false };
    this.sendRequest({ type: 'get-request-with-list', invokeIdAndPriority: this.iid(invokeId), attributes });
    return invokeId;
  }

  /** SET one attribute; with datablocks when the request would exceed the server's max receive PDU size. */
  set(attribute: CosemAttributeDescriptor, value: DlmsData, access?: SelectiveAccess): number {
    const invokeId = this.startRequest('set');
    const iid = this.iid(invokeId);
    const normal: Apdu = { type: 'set-request-normal', invokeIdAndPriority: iid, attribute, ...(access ? { access } : {}), value };
    const plain = encodeApdu(normal);
    const limit = this.serverMaxPdu();
    if (plain.length + (this.session.protection ? CIPHERING_OVERHEAD : 0) <= limit) {
      this.pending = { kind: 'set', invokeId, blocks: [], sent: 0 };
      this.sendPlain(plain);
      return invokeId;
    }
    const first = (rawData: Uint8Array, lastBlock: boolean): Apdu => ({
      type: 'set-request-with-first-datablock',
      invokeIdAndPriority: iid,
      attribute,
      ...(access ? { access } : {}),
      block: { lastBlock, blockNumber: 1, rawData },
    });
    const room = blockRoom(first(new Uint8Array(0), false), limit, this.session.protection !== undefined);
    const blocks = splitBlocks(encodeDataBytes(value), room);
    this.pending = { kind: 'set', invokeId, blocks, sent: 1 };
    this.sendRequest(first(blocks[0]!, blocks.length === 1));
    return invokeId;
  }

  /** ACTION (method invocation) with optional parameters; the event carries the return data when any. */
  action(method: CosemMethodDescriptor, parameters?: DlmsData): number {
    const invokeId = this.startRequest('action');
    this.pending = { kind: 'action', invokeId, hls: false };
    this.sendRequest({ type: 'action-request-normal', invokeIdAndPriority: this.iid(invokeId), method, ...(parameters ? { parameters } : {}) });
    return invokeId;
  }

  /** RLRQ (reason normal); under ciphering it carries a ciphered InitiateRequest, as the Green Book asks. */
  release(): void {
    this.require('release', 'associated');
    if (this.pending) throw new DlmsError('DLMS_ERR_STATE', `request ${this.pending.invokeId} is still outstanding`);
    const s = this.settings;
    const userInformation =
      s.securityPolicy === 'none'
        ? undefined
        : {
            type: 'raw' as const,
            apdu: this.session.protect(
              initiateRequestBytes({
                type: 'initiate-request',
                responseAllowed: true,
                proposedDlmsVersionNumber: DLMS_VERSION,
                proposedConformance: s.conformance,
                clientMaxReceivePduSize: s.maxReceivePduSize,
              }),
            ),
          };
    this._state = 'releasing';
    this.send(encodeApdu({ type: 'rlrq', reason: 0, ...(userInformation ? { userInformation } : {}) }));
  }

  /** Close the link: DISC over HDLC; without HDLC the caller closes the socket. */
  disconnect(): void {
    if (this._state === 'disconnected') return;
    this._state = 'disconnecting';
    this.pending = undefined;
    this.framed((events) => this.framing.disconnect(events));
  }

  /** Frames to write again after the caller's response timer expired (the same ones: no new counter). */
  resend(): void {
    this.write(this.framing.resend());
  }

  /** Forget the outstanding request (the caller gave up on it, e.g. after its timer and retries). */
  abandonRequest(): void {
    this.pending = undefined;
    this.gbt?.reset();
  }

  // ---- framing ----

  protected onLink(e: Extract<FramingEvent, { type: 'link-connected' | 'link-disconnected' }>): void {
    if (e.type === 'link-connected') {
      if (this._state === 'link-connecting') this._state = 'link-connected';
      this.events.push(e.hdlc ? { type: 'link-connected', hdlc: e.hdlc } : { type: 'link-connected' });
      return;
    }
    this._state = 'disconnected';
    this.pending = undefined;
    this._negotiated = undefined;
    this.events.push({ type: 'link-disconnected', reason: e.reason });
  }

  /** xDLMS request: ciphered per policy once the association is being authenticated or established. */
  private sendPlain(plain: Uint8Array): void {
    this.send(this.session.protect(plain, this.session.dedicatedKey !== undefined));
  }

  private sendRequest(a: Apdu): void {
    this.sendPlain(encodeApdu(a));
  }

  // ---- receiving ----

  protected receiveApdu(bytes: Uint8Array, fromGbt = false): void {
    let apdu: Apdu;
    let ciphered = false;
    try {
      const tag = bytes[0];
      if (tag === 0x61 || tag === 0x63) apdu = decodeApdu(bytes); // AARE / RLRE are never ciphered as a whole
      else {
        const u = this.session.unprotect(bytes);
        ciphered = u.ciphered;
        if (this.isEncodedGetData(u.apdu)) return this.onEncodedGetData(u.apdu);
        apdu = decodeApdu(u.apdu);
      }
    } catch (e) {
      return this.fail(e);
    }
    try {
      this.dispatch(apdu, ciphered, fromGbt);
    } catch (e) {
      this.fail(e);
    }
  }

  private dispatch(a: Apdu, ciphered: boolean, fromGbt: boolean): void {
    switch (a.type) {
      case 'aare':
        return this.onAare(a);
      case 'rlre':
        if (this._state !== 'releasing') throw new DlmsError('DLMS_ERR_STATE', `RLRE while ${this._state}`);
        this._state = 'link-connected';
        this._negotiated = undefined;
        this.events.push({ type: 'released' });
        return;
      case 'general-block-transfer': {
        if (fromGbt) throw new DlmsError('DLMS_ERR_VALUE', 'general-block-transfer nested in general-block-transfer');
        const p = (this.gbt ??= new GbtReassembler()).push(a);
        if (p.apdu) return this.receiveApdu(p.apdu, true);
        if (p.needAck) {
          this.send(encodeApdu({ type: 'general-block-transfer', lastBlock: false, streaming: false, window: 1, blockNumber: 1, blockNumberAck: p.ack, blockData: new Uint8Array(0) }));
        }
        return;
      }
      case 'data-notification':
        this.events.push({
          type: 'data-notification',
          notification: a,
          utcMs: a.dateTime ? dateTimeToUtcMs(a.dateTime, { deviationSign: this.settings.quirks.deviationSign }) : undefined,
          ciphered,
        });
        return;
      case 'event-notification-request':
        this.events.push({ type: 'event-notification', notification: a, ciphered });
        return;
      case 'exception-response': {
        const invokeId = this.finish();
        this.events.push({
          type: 'exception-response',
          ...(invokeId !== undefined ? { invokeId } : {}),
          stateError: exceptionStateErrorName(a.stateError),
          serviceError: exceptionServiceErrorName(a.serviceError),
          ...(a.invocationCounter !== undefined ? { invocationCounter: a.invocationCounter } : {}),
        });
        return;
      }
      case 'confirmed-service-error': {
        const invokeId = this.finish();
        this.events.push({ type: 'confirmed-service-error', ...(invokeId !== undefined ? { invokeId } : {}), description: describeServiceError(a) });
        return;
      }
      case 'get-response-normal':
      case 'get-response-with-datablock':
      case 'get-response-with-list':
      case 'set-response-normal':
      case 'set-response-datablock':
      case 'set-response-last-datablock':
      case 'action-response-normal':
        return this.onResponse(a);
      default:
        throw new DlmsError('DLMS_ERR_TAG', `unexpected ${a.type} for a client`);
    }
  }

  /** Ends the outstanding request (exception / service error); during HLS that is an authentication failure. */
  private finish(): number | undefined {
    const p = this.pending;
    this.pending = undefined;
    if (p?.kind === 'action' && p.hls) this.authenticationFailed('the server answered reply_to_HLS_authentication with an error');
    if (this._state === 'associating') this._state = 'link-connected';
    return p?.invokeId;
  }

  /** The request a response answers: the outstanding one, with the same invoke-id (unless a quirk says to ignore it). */
  private answered(type: string, invokeIdAndPriority: number): Pending {
    const p = this.pending;
    if (!p) throw new DlmsError('DLMS_ERR_STATE', `${type} with no request outstanding`);
    const invokeId = invokeIdAndPriority & 0x0f;
    if (invokeId !== p.invokeId && !this.settings.quirks.ignoreInvokeIdMismatch) {
      throw new DlmsError('DLMS_ERR_VALUE', `${type} has invoke-id ${invokeId}, the outstanding request ${p.invokeId}: dropped`);
    }
    return p;
  }

  /** A Get-Response-Normal carrying data (C4 01 iid 00 Data) to an encoded GET: the Data is passed on undecoded. */
  private isEncodedGetData(apdu: Uint8Array): boolean {
    const p = this.pending;
    return p?.kind === 'get' && p.encoded && apdu.length > 4 && apdu[0] === ApduTag.getResponse && apdu[1] === 1 && apdu[3] === 0;
  }

  private onEncodedGetData(apdu: Uint8Array): void {
    try {
      const p = this.answered('get-response-normal', apdu[2]!);
      this.pending = undefined;
      this.events.push({ type: 'get-response-encoded', invokeId: p.invokeId, data: apdu.subarray(4) });
    } catch (e) {
      this.fail(e);
    }
  }

  private onResponse(
    a: Extract<Apdu, { type: `get-response-${string}` | `set-response-${string}` | 'action-response-normal' }>,
  ): void {
    const p = this.answered(a.type, a.invokeIdAndPriority);
    const expected = { get: 'get-response', set: 'set-response', action: 'action-response' }[p.kind];
    if (!a.type.startsWith(expected)) throw new DlmsError('DLMS_ERR_TAG', `${a.type} does not answer a ${p.kind} request`);
    switch (a.type) {
      case 'get-response-normal':
        this.pending = undefined;
        if (p.kind === 'get' && p.list) throw new DlmsError('DLMS_ERR_TAG', 'get-response-normal to a get-request-with-list');
        this.events.push({ type: 'get-response', invokeId: p.invokeId, result: accessOutcome(a.result) });
        return;
      case 'get-response-with-list':
        this.pending = undefined;
        this.events.push({ type: 'get-with-list-response', invokeId: p.invokeId, results: a.results.map(accessOutcome) });
        return;
      case 'get-response-with-datablock': {
        const g = p as Extract<Pending, { kind: 'get' }>;
        if (a.blockNumber !== g.nextBlock) {
          this.pending = undefined;
          throw new DlmsError('DLMS_ERR_VALUE', `GET block ${a.blockNumber} received, block ${g.nextBlock} expected: transfer abandoned`);
        }
        if (a.result.type === 'data-access-result') {
          const result = accessOutcome({ type: 'data-access-result', value: a.result.value });
          this.pending = undefined;
          this.events.push(g.list ? { type: 'get-with-list-response', invokeId: g.invokeId, results: [result] } : { type: 'get-response', invokeId: g.invokeId, result });
          return;
        }
        (g.raw ??= new Writer(a.result.value.length * 2)).bytes(a.result.value);
        if (!a.lastBlock) {
          g.nextBlock++;
          this.sendRequest({ type: 'get-request-next', invokeIdAndPriority: this.iid(g.invokeId), blockNumber: a.blockNumber });
          return;
        }
        this.pending = undefined;
        if (g.encoded) {
          this.events.push({ type: 'get-response-encoded', invokeId: g.invokeId, data: g.raw.finish() });
          return;
        }
        const r = new Reader(g.raw.finish());
        if (g.list) {
          const results = decodeList(r, 'Get-Data-Result', decodeGetDataResult).map(accessOutcome);
          r.done('end of the GET blocks');
          this.events.push({ type: 'get-with-list-response', invokeId: g.invokeId, results });
        } else {
          const value = decodeData(r);
          r.done('end of the GET blocks');
          this.events.push({ type: 'get-response', invokeId: g.invokeId, result: { type: 'data', value } });
        }
        return;
      }
      case 'set-response-datablock': {
        const s = p as Extract<Pending, { kind: 'set' }>;
        if (a.blockNumber !== s.sent || s.sent >= s.blocks.length) {
          this.pending = undefined;
          throw new DlmsError('DLMS_ERR_VALUE', `SET block ${a.blockNumber} acknowledged, block ${s.sent} was sent: transfer abandoned`);
        }
        const rawData = s.blocks[s.sent]!;
        s.sent++;
        this.sendRequest({
          type: 'set-request-with-datablock',
          invokeIdAndPriority: this.iid(s.invokeId),
          block: { lastBlock: s.sent === s.blocks.length, blockNumber: s.sent, rawData },
        });
        return;
      }
      case 'set-response-normal':
      case 'set-response-last-datablock':
        this.pending = undefined;
        this.events.push({ type: 'set-response', invokeId: p.invokeId, result: a.result, name: dataAccessResultName(a.result) });
        return;
      case 'action-response-normal': {
        this.pending = undefined;
        const ret = a.response.returnParameters;
        if (p.kind === 'action' && p.hls) return this.onHlsResponse(a.response.result, ret);
        this.events.push({
          type: 'action-response',
          invokeId: p.invokeId,
          result: a.response.result,
          name: actionResultName(a.response.result),
          ...(ret ? { returnData: accessOutcome(ret) } : {}),
        });
        return;
      }
      default:
        throw new DlmsError('DLMS_ERR_TAG', `${a.type} is not supported by this client`);
    }
  }

  // ---- association ----

  private onAare(a: Aare): void {
    if (this._state !== 'associating') throw new DlmsError('DLMS_ERR_STATE', `AARE while ${this._state}`);
    const s = this.settings;
    this._state = 'link-connected';
    let initiate: InitiateResponse | undefined;
    let serviceError: string | undefined;
    const ui = a.userInformation;
    if (ui?.type === 'initiate-response') initiate = ui;
    else if (ui?.type === 'raw') {
      if (a.respondingApTitle) this.session.peerSystemTitle = a.respondingApTitle;
      const inner = decodeApdu(ui.apdu[0] === 0x0e ? ui.apdu : this.session.unprotect(ui.apdu).apdu);
      if (inner.type === 'initiate-response') initiate = inner;
      else if (inner.type === 'confirmed-service-error') serviceError = describeServiceError(inner);
      else throw new DlmsError('DLMS_ERR_TAG', `AARE user-information holds ${inner.type}`);
    }
    if (a.result !== 0 || !initiate) {
      this.events.push({
        type: 'association-rejected',
        result: associationResultName(a.result),
        diagnostic: diagnosticName(a.resultSourceDiagnostic),
        ...(serviceError ? { serviceError } : {}),
      });
      return;
    }
    this._negotiated = initiate;
    this.session.peerSystemTitle = a.respondingApTitle ?? s.serverSystemTitle;
    if (s.authentication !== 'high-gmac') return this.associated();
    const stoc = a.respondingAuthenticationValue;
    if (!stoc || stoc.kind !== 'charstring' || !this.session.peerSystemTitle) {
      return this.authenticationFailed('the AARE carries no server challenge (StoC) or no server system title');
    }
    const fStoC = hlsGmacResponse(stoc.value, {
      systemTitle: s.systemTitle!,
      invocationCounter: this.session.counter.next(),
      encryptionKey: s.keys!.blockCipherKey,
      authenticationKey: s.keys!.authenticationKey,
    });
    this._state = 'hls-authenticating';
    const invokeId = this.nextInvokeId();
    this.pending = { kind: 'action', invokeId, hls: true };
    this.sendRequest({
      type: 'action-request-normal',
      invokeIdAndPriority: this.iid(invokeId),
      method: REPLY_TO_HLS,
      parameters: { type: 'octet-string', value: fStoC },
    });
  }

  private onHlsResponse(result: number, ret: { type: 'data'; value: DlmsData } | { type: 'data-access-result'; value: number } | undefined): void {
    const s = this.settings;
    if (result !== 0) return this.authenticationFailed(`the server refused f(StoC): ${actionResultName(result)}`);
    if (!s.quirks.hlsWithoutResponseCheck) {
      if (ret?.type !== 'data' || ret.value.type !== 'octet-string') return this.authenticationFailed('the server returned no f(CtoS)');
      try {
        verifyHlsGmacResponse(ret.value.value, this.ctos!, {
          systemTitle: this.session.peerSystemTitle!,
          encryptionKey: s.keys!.blockCipherKey,
          authenticationKey: s.keys!.authenticationKey,
        });
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
        return this.authenticationFailed(`the server's f(CtoS) is wrong: ${e.message}`);
      }
    }
    this.associated();
  }

  private associated(): void {
    const n = this._negotiated!;
    this._state = 'associated';
    this.events.push({
      type: 'associated',
      conformance: n.negotiatedConformance,
      serverMaxReceivePduSize: n.serverMaxReceivePduSize,
      dlmsVersion: n.negotiatedDlmsVersionNumber,
      ...(this.session.peerSystemTitle ? { serverSystemTitle: this.session.peerSystemTitle } : {}),
    });
  }

  /** The association is unusable; the server drops it too (a release is not needed). */
  private authenticationFailed(reason: string): void {
    this._state = 'link-connected';
    this._negotiated = undefined;
    this.events.push({ type: 'authentication-failed', reason });
  }

  // ---- helpers ----

  private require(what: string, state: ClientState): void {
    if (this._state !== state) throw new DlmsError('DLMS_ERR_STATE', `${what}() needs state ${state}, the connection is ${this._state}`);
  }

  private startRequest(what: string): number {
    this.require(what, 'associated');
    if (this.pending) throw new DlmsError('DLMS_ERR_STATE', `request ${this.pending.invokeId} is still outstanding`);
    return this.nextInvokeId();
  }

  /** Invoke-ids 1..15 in turn, so that a late answer to an abandoned request is told apart. */
  private nextInvokeId(): number {
    this.lastInvokeId = (this.lastInvokeId % 15) + 1;
    return this.lastInvokeId;
  }

  private iid(invokeId: number): number {
    return invokeIdAndPriority(invokeId, true, this.settings.highPriority);
  }

  /** A 0 server-max-receive-pdu-size means no limit was stated. */
  private serverMaxPdu(): number {
    return this._negotiated?.serverMaxReceivePduSize || 0xffff;
  }
}

function initiateRequestBytes(v: InitiateRequest): Uint8Array {
  const w = new Writer(32);
  encodeInitiateRequest(w, v);
  return w.finish();
}
