/**
 * A sans-I/O DLMS/COSEM server connection: the protocol side of a simulated meter. It answers SNRM / AARQ /
 * RLRQ / DISC itself (per-client association settings: mechanism, password or HLS keys, security policy),
 * deciphers requests and ciphers responses, and hands GET / SET / ACTION to the application as events; the
 * application answers with respondGet / respondSet / respondAction (any order, by invoke-id).
 *
 *   disconnected ─SNRM→ link-connected ─AARQ ok→ associated        (HLS-GMAC: → hls-pending ─f(StoC) ok→ associated)
 *   associated ─RLRQ→ link-connected ─DISC→ disconnected
 *
 * Long GET answers are cut into GET-Response-With-Datablock and served on GET-Request-Next: no APDU is larger
 * than the client's max receive PDU, nor than the server's own (its server-max-receive-pdu-size, the buffer
 * a meter has: real meters send no more than it, whatever a client proposes). SET datablocks are put
 * together before the application sees the request.
 */
import { decodeDataBytes } from '../axdr/data.js';
import type { CosemDateTime, DlmsData } from '../axdr/types.js';
import { Writer } from '../axdr/writer.js';
import { AcseServiceUserDiagnostic, type Aare, type Aarq } from '../apdu/acse/index.js';
import {
  ActionResult,
  DataAccessResult,
  decodeApdu,
  encodeApdu,
  type Apdu,
  type AttributeWithSelection,
  type CosemAttributeDescriptor,
  type CosemMethodDescriptor,
  type GetDataResult,
  type SelectiveAccess,
} from '../apdu/index.js';
import { encodeGetDataResult, encodeList } from '../apdu/xdlms/common.js';
import { describeServiceError, type ConfirmedServiceError } from '../apdu/xdlms/confirmed-service-error/response.js';
import { ExceptionServiceError, ExceptionStateError } from '../apdu/xdlms/exception-response/response.js';
import { encodeInitiateResponse, VaaName, type InitiateRequest, type InitiateResponse } from '../apdu/xdlms/initiate/index.js';
import { DlmsError } from '../errors.js';
import type { HdlcParameters } from '../hdlc/params.js';
import { hlsGmacResponse, llsAuthenticationValue, verifyHlsGmacResponse, verifyLlsPassword } from '../security/index.js';
import { blockRoom, ConnectionEndpoint, diagnosticName, DLMS_VERSION, isReplyToHls, maxApduSize, requireHlsRandom, splitBlocks } from './common.js';
import { FramingLayer, type FramingEvent } from './framing.js';
import { CIPHERING_OVERHEAD, CipheringSession } from './session.js';
import {
  checkSecurity,
  hdlcServerAddress,
  resolveSettings,
  type Authentication,
  type ConnectionSettingsInit,
  type SecurityPolicy,
  type SuiteZeroKeys,
} from './settings.js';

/** What one client SAP may do. */
export interface ServerAssociation {
  clientAddress: number;
  authentication: Authentication;
  password?: string | Uint8Array;
  securityPolicy: SecurityPolicy;
  keys?: SuiteZeroKeys;
}

type ClientOnly = 'clientAddress' | 'authentication' | 'password' | 'securityPolicy' | 'keys' | 'serverSystemTitle' | 'clientWPort' | 'highPriority';

export type ServerSettingsInit = Omit<ConnectionSettingsInit, ClientOnly> & { associations: ServerAssociation[] };

export type ServerState = 'disconnected' | 'link-connected' | 'hls-pending' | 'associated';

export type ServerEvent =
  | { type: 'link-connected'; clientAddress?: number; hdlc?: HdlcParameters }
  | { type: 'link-disconnected'; reason: 'local' | 'refused' | 'peer' }
  | { type: 'associated'; clientAddress: number; conformance: number; clientMaxReceivePduSize: number; clientSystemTitle?: Uint8Array }
  | { type: 'association-rejected'; clientAddress: number | undefined; diagnostic: string; serviceError?: string }
  | { type: 'authentication-failed'; clientAddress: number }
  | { type: 'released'; clientAddress: number }
  | { type: 'get-request'; invokeId: number; attribute: CosemAttributeDescriptor; access?: SelectiveAccess }
  | { type: 'get-with-list-request'; invokeId: number; attributes: AttributeWithSelection[] }
  | { type: 'set-request'; invokeId: number; attribute: CosemAttributeDescriptor; access?: SelectiveAccess; value: DlmsData }
  | { type: 'action-request'; invokeId: number; method: CosemMethodDescriptor; parameters?: DlmsData }
  /** Something received was refused (and answered with an exception where the standard says so). */
  | { type: 'error'; error: DlmsError };

export interface ServerOptions {
  /** Random source for the HLS server challenge (StoC); required when an association uses HLS. */
  random?: (length: number) => Uint8Array;
}

type Waiting = { kind: 'get' | 'get-with-list' | 'set' | 'action'; iid: number; dedicated: boolean; setBlock?: number };

interface LongGet {
  invokeId: number;
  iid: number;
  dedicated: boolean;
  blocks: Uint8Array[];
  /** Number of the block last sent (= index of the next one). */
  sent: number;
}

interface LongSet {
  iid: number;
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccess;
  raw: Writer;
  block: number;
}

interface Current {
  clientAddress: number;
  association: ServerAssociation;
  clientMaxReceivePduSize: number;
  conformance: number;
  ctos?: Uint8Array;
  stoc?: Uint8Array;
}

/** Offset of the Data in an encoded Get-Response-Normal carrying data. */
const GET_RESPONSE_NORMAL_DATA_AT = 4;

export class DlmsServerConnection extends ConnectionEndpoint<ServerEvent> {
  readonly associations: readonly ServerAssociation[];
  private _state: ServerState;
  private readonly waiting = new Map<number, Waiting>();
  private current: Current | undefined;
  private longGet: LongGet | undefined;
  private longSet: LongSet | undefined;
  private pushId = 0;

  constructor(
    init: ServerSettingsInit,
    private readonly options: ServerOptions = {},
  ) {
    const { associations, ...rest } = init;
    const s = resolveSettings(rest);
    for (const a of associations) {
      // the client-side checks hold per association: keys for ciphering / HLS, a password for LLS
      checkSecurity({ ...a, systemTitle: s.systemTitle });
      requireHlsRandom(a.authentication, options.random);
    }
    const framing = new FramingLayer({
      framing: s.framing,
      role: 'server',
      serverAddress: hdlcServerAddress(s),
      ...(s.hdlc ? { hdlc: s.hdlc } : {}),
      ownWPort: s.serverWPort ?? s.serverLogicalAddress,
      maxApduSize: maxApduSize(s),
    });
    const session = new CipheringSession(s.systemTitle, {
      policy: 'none',
      invocationCounter: s.invocationCounter,
      ...(s.replayGuard ? { replayGuard: s.replayGuard } : {}),
    });
    super(s, framing, session);
    this.associations = associations;
    this._state = s.framing === 'hdlc' ? 'disconnected' : 'link-connected';
  }

  get state(): ServerState {
    return this._state;
  }

  protected onLink(e: Extract<FramingEvent, { type: 'link-connected' | 'link-disconnected' }>): void {
    this.dropAssociation();
    if (e.type === 'link-disconnected') {
      this._state = 'disconnected';
      this.events.push({ type: 'link-disconnected', reason: e.reason });
      return;
    }
    this._state = 'link-connected';
    this.events.push({
      type: 'link-connected',
      ...(this.framing.peerAddress !== undefined ? { clientAddress: this.framing.peerAddress } : {}),
      ...(e.hdlc ? { hdlc: e.hdlc } : {}),
    });
  }

  /** Answer a get-request (blocks when the response exceeds the client's max receive PDU size). */
  respondGet(invokeId: number, result: GetDataResult): void {
    const w = this.take(invokeId, 'get');
    const normal = encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: w.iid, result });
    if (!this.needsBlocks(normal.length)) return this.reply(normal, w.dedicated);
    if (result.type !== 'data') return this.reply(normal, w.dedicated);
    // the Data is encoded once: get-response (C4), normal (01), invoke-id-and-priority, data choice (00), Data
    this.startLongGet(invokeId, w, normal.subarray(GET_RESPONSE_NORMAL_DATA_AT));
  }

  respondGetWithList(invokeId: number, results: GetDataResult[]): void {
    const w = this.take(invokeId, 'get-with-list');
    const normal = encodeApdu({ type: 'get-response-with-list', invokeIdAndPriority: w.iid, results });
    if (!this.needsBlocks(normal.length)) return this.reply(normal, w.dedicated);
    const raw = new Writer(normal.length);
    encodeList(raw, results, encodeGetDataResult);
    this.startLongGet(invokeId, w, raw.finish());
  }

  /** Answer a set-request with a Data-Access-Result (see DataAccessResult). */
  respondSet(invokeId: number, result: number): void {
    const w = this.take(invokeId, 'set');
    const a: Apdu =
      w.setBlock !== undefined
        ? { type: 'set-response-last-datablock', invokeIdAndPriority: w.iid, result, blockNumber: w.setBlock }
        : { type: 'set-response-normal', invokeIdAndPriority: w.iid, result };
    this.reply(encodeApdu(a), w.dedicated);
  }

  /** Answer an action-request with an Action-Result (see ActionResult) and optional return data. */
  respondAction(invokeId: number, result: number, returnParameters?: GetDataResult): void {
    const w = this.take(invokeId, 'action');
    this.reply(
      encodeApdu({ type: 'action-response-normal', invokeIdAndPriority: w.iid, response: { result, ...(returnParameters ? { returnParameters } : {}) } }),
      w.dedicated,
    );
  }

  /** Refuse a request with an Exception-Response (see ExceptionServiceError / ExceptionStateError). */
  respondException(invokeId: number, serviceError: number, stateError: number = ExceptionStateError.serviceNotAllowed): void {
    this.waiting.delete(invokeId);
    this.exception(serviceError, stateError);
  }

  /** Push a DataNotification (ciphered per the association's policy, general-glo-ciphering). */
  sendDataNotification(body: DlmsData, dateTime?: CosemDateTime): void {
    this.requireLink('sendDataNotification');
    this.pushId = (this.pushId + 1) & 0xffffff;
    this.push(encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: this.pushId, ...(dateTime ? { dateTime } : {}), body }));
  }

  /** Push an EventNotification.request (glo-event-notification under a policy). */
  sendEventNotification(attribute: CosemAttributeDescriptor, value: DlmsData, time?: CosemDateTime): void {
    this.requireLink('sendEventNotification');
    this.push(encodeApdu({ type: 'event-notification-request', ...(time ? { time } : {}), attribute, value }));
  }

  // ---- receiving ----

  protected receiveApdu(bytes: Uint8Array): void {
    if (bytes.length > maxApduSize(this.settings)) {
      return this.exception(ExceptionServiceError.pduTooLong, ExceptionStateError.serviceNotAllowed);
    }
    const tag = bytes[0];
    if (tag === 0x60 || tag === 0x62) {
      let a: Apdu;
      try {
        a = decodeApdu(bytes);
      } catch (e) {
        return this.fail(e);
      }
      return a.type === 'aarq' ? this.onAarq(a) : this.onRlrq();
    }
    if (this._state !== 'associated' && this._state !== 'hls-pending') {
      this.fail(new DlmsError('DLMS_ERR_STATE', `xDLMS APDU 0x${(tag ?? 0).toString(16)} without an association`));
      return this.exception(ExceptionServiceError.operationNotPossible, ExceptionStateError.serviceNotAllowed);
    }
    let plain: Uint8Array;
    let dedicated: boolean;
    try {
      ({ apdu: plain, dedicated } = this.session.unprotect(bytes));
    } catch (e) {
      this.fail(e);
      if (e instanceof DlmsError && e.code === 'DLMS_ERR_REPLAY') {
        const last = this.session.replayGuard.last(this.session.peerSystemTitle!, this.session.dedicatedKey ? 'dedicated' : 'global-unicast') ?? 0;
        return this.send(encodeApdu({ type: 'exception-response', stateError: ExceptionStateError.serviceNotAllowed, serviceError: ExceptionServiceError.invocationCounterError, invocationCounter: last + 1 }));
      }
      return this.exception(ExceptionServiceError.decipheringError, ExceptionStateError.serviceNotAllowed);
    }
    let a: Apdu;
    try {
      a = decodeApdu(plain);
    } catch (e) {
      this.fail(e);
      return this.exception(ExceptionServiceError.serviceNotSupported, ExceptionStateError.serviceUnknown);
    }
    if (this._state === 'hls-pending' && !(a.type === 'action-request-normal' && isReplyToHls(a.method))) {
      return this.exception(ExceptionServiceError.operationNotPossible, ExceptionStateError.serviceNotAllowed);
    }
    try {
      this.onRequest(a, dedicated);
    } catch (e) {
      this.fail(e);
    }
  }

  private onRequest(a: Apdu, dedicated: boolean): void {
    switch (a.type) {
      case 'get-request-normal':
        this.expect(a.invokeIdAndPriority, 'get', dedicated);
        this.events.push({ type: 'get-request', invokeId: a.invokeIdAndPriority & 0x0f, attribute: a.attribute, ...(a.access ? { access: a.access } : {}) });
        return;
      case 'get-request-with-list':
        this.expect(a.invokeIdAndPriority, 'get-with-list', dedicated);
        this.events.push({ type: 'get-with-list-request', invokeId: a.invokeIdAndPriority & 0x0f, attributes: a.attributes });
        return;
      case 'get-request-next':
        return this.nextGetBlock(a.invokeIdAndPriority, a.blockNumber, dedicated);
      case 'set-request-normal':
        this.expect(a.invokeIdAndPriority, 'set', dedicated);
        this.events.push({ type: 'set-request', invokeId: a.invokeIdAndPriority & 0x0f, attribute: a.attribute, ...(a.access ? { access: a.access } : {}), value: a.value });
        return;
      case 'set-request-with-first-datablock':
        if (a.block.blockNumber !== 1) return this.setBlockError(a.invokeIdAndPriority, dedicated);
        this.longSet = { iid: a.invokeIdAndPriority, attribute: a.attribute, ...(a.access ? { access: a.access } : {}), raw: new Writer(a.block.rawData.length * 4), block: 0 };
        return this.setBlock(a.invokeIdAndPriority, a.block, dedicated);
      case 'set-request-with-datablock':
        return this.setBlock(a.invokeIdAndPriority, a.block, dedicated);
      case 'action-request-normal':
        if (isReplyToHls(a.method) && this._state === 'hls-pending') return this.onReplyToHls(a.invokeIdAndPriority, a.parameters, dedicated);
        this.expect(a.invokeIdAndPriority, 'action', dedicated);
        this.events.push({ type: 'action-request', invokeId: a.invokeIdAndPriority & 0x0f, method: a.method, ...(a.parameters ? { parameters: a.parameters } : {}) });
        return;
      default:
        this.exception(ExceptionServiceError.serviceNotSupported, ExceptionStateError.serviceUnknown);
    }
  }

  // ---- association ----

  private onAarq(q: Aarq): void {
    this.dropAssociation();
    const clientAddress = this.framing.peerAddress ?? this.associations[0]?.clientAddress;
    const association = this.associations.find((a) => a.clientAddress === clientAddress);
    const D = AcseServiceUserDiagnostic;
    if (clientAddress === undefined || !association) return this.reject(q, clientAddress, D.noReasonGiven);
    const ciphering = association.securityPolicy !== 'none';
    const hls = association.authentication === 'high-gmac';
    if (q.applicationContextName.name !== (ciphering ? 'logical-name-ciphering' : 'logical-name')) {
      return this.reject(q, clientAddress, D.applicationContextNameNotSupported);
    }
    const mechanism = q.mechanismName?.name ?? 'lowest';
    if (association.authentication === 'none' ? mechanism !== 'lowest' : !q.mechanismName) {
      return this.reject(q, clientAddress, q.mechanismName ? D.authenticationMechanismNameNotRecognised : D.authenticationMechanismNameRequired);
    }
    if (association.authentication !== 'none' && mechanism !== association.authentication) {
      return this.reject(q, clientAddress, D.authenticationMechanismNameNotRecognised);
    }
    const auth = q.callingAuthenticationValue;
    if (association.authentication !== 'none' && auth?.kind !== 'charstring') return this.reject(q, clientAddress, D.authenticationFailure);
    if (association.authentication === 'low' && !verifyLlsPassword(auth!.value as Uint8Array, llsAuthenticationValue(association.password!))) {
      return this.reject(q, clientAddress, D.authenticationFailure);
    }
    if (ciphering || hls) {
      if (q.callingApTitle?.length !== 8) return this.reject(q, clientAddress, D.callingApTitleNotRecognized);
      this.session.peerSystemTitle = q.callingApTitle.slice();
    }
    this.session.policy = association.securityPolicy;
    this.session.keys = association.keys;
    this.session.dedicatedKey = undefined;

    let initiate: InitiateRequest;
    const ui = q.userInformation;
    try {
      if (ui?.type === 'initiate-request' && !ciphering) initiate = ui;
      else if (ui?.type === 'raw' && ciphering) {
        const inner = decodeApdu(this.session.unprotect(ui.apdu).apdu);
        if (inner.type !== 'initiate-request') throw new DlmsError('DLMS_ERR_TAG', `AARQ user-information holds ${inner.type}`);
        initiate = inner;
      } else throw new DlmsError('DLMS_ERR_SECURITY', `AARQ user-information must be a ${ciphering ? 'ciphered' : 'plain'} InitiateRequest`);
    } catch (e) {
      this.fail(e);
      // ServiceError application-reference (0) / deciphering-error (6)
      return this.reject(q, clientAddress, D.noReasonGiven, { type: 'confirmed-service-error', service: 1, error: 0, value: 6 });
    }
    if (initiate.proposedDlmsVersionNumber < DLMS_VERSION) {
      // ServiceError initiate (6) / dlms-version-too-low (1)
      return this.reject(q, clientAddress, D.noReasonGiven, { type: 'confirmed-service-error', service: 1, error: 6, value: 1 });
    }
    if (initiate.dedicatedKey) this.session.dedicatedKey = initiate.dedicatedKey.slice();
    const conformance = initiate.proposedConformance & this.settings.conformance;
    this.current = { clientAddress, association, conformance, clientMaxReceivePduSize: initiate.clientMaxReceivePduSize || 0xffff };
    const aare: Aare = {
      type: 'aare',
      applicationContextName: q.applicationContextName,
      result: 0,
      resultSourceDiagnostic: { source: 'acse-service-user', code: hls ? D.authenticationRequired : D.null },
      userInformation: this.initiateResponse(),
    };
    if (ciphering || hls) aare.respondingApTitle = this.settings.systemTitle!;
    if (association.authentication !== 'none') {
      aare.responderAcseRequirements = { authentication: true };
      aare.mechanismName = q.mechanismName!;
    }
    if (hls) {
      this.current.ctos = (auth!.value as Uint8Array).slice();
      this.current.stoc = this.options.random!(16);
      aare.respondingAuthenticationValue = { kind: 'charstring', value: this.current.stoc };
      this._state = 'hls-pending';
    } else {
      this._state = 'associated';
    }
    this.send(encodeApdu(aare));
    if (!hls) this.associatedEvent();
  }

  /** The InitiateResponse of the current association, ciphered under its policy (AARE and RLRE user-information). */
  private initiateResponse(): NonNullable<Aare['userInformation']> {
    const v: InitiateResponse = {
      type: 'initiate-response',
      negotiatedDlmsVersionNumber: DLMS_VERSION,
      negotiatedConformance: this.current!.conformance,
      serverMaxReceivePduSize: this.settings.maxReceivePduSize,
      vaaName: VaaName.logicalName,
    };
    if (!this.session.protection) return v;
    const w = new Writer(16);
    encodeInitiateResponse(w, v);
    return { type: 'raw', apdu: this.session.protect(w.finish()) };
  }

  private associatedEvent(): void {
    const c = this.current!;
    this.events.push({
      type: 'associated',
      clientAddress: c.clientAddress,
      conformance: c.conformance,
      clientMaxReceivePduSize: c.clientMaxReceivePduSize,
      ...(this.session.peerSystemTitle ? { clientSystemTitle: this.session.peerSystemTitle } : {}),
    });
  }

  private reject(q: Aarq, clientAddress: number | undefined, diagnostic: number, serviceError?: ConfirmedServiceError): void {
    const aare: Aare = {
      type: 'aare',
      applicationContextName: q.applicationContextName,
      result: 1,
      resultSourceDiagnostic: { source: 'acse-service-user', code: diagnostic },
      ...(serviceError ? { userInformation: { type: 'raw' as const, apdu: encodeApdu(serviceError) } } : {}),
    };
    this.dropAssociation();
    this.send(encodeApdu(aare));
    this.events.push({
      type: 'association-rejected',
      clientAddress,
      diagnostic: diagnosticName(aare.resultSourceDiagnostic),
      ...(serviceError ? { serviceError: describeServiceError(serviceError) } : {}),
    });
  }

  private onReplyToHls(iid: number, parameters: DlmsData | undefined, dedicated: boolean): void {
    const c = this.current!;
    const keys = c.association.keys!;
    try {
      if (parameters?.type !== 'octet-string') throw new DlmsError('DLMS_ERR_SECURITY', 'reply_to_HLS_authentication needs an octet-string');
      verifyHlsGmacResponse(parameters.value, c.stoc!, {
        systemTitle: this.session.peerSystemTitle!,
        encryptionKey: keys.blockCipherKey,
        authenticationKey: keys.authenticationKey,
      });
    } catch (e) {
      this.fail(e);
      this.reply(encodeApdu({ type: 'action-response-normal', invokeIdAndPriority: iid, response: { result: ActionResult.readWriteDenied } }), dedicated);
      this.events.push({ type: 'authentication-failed', clientAddress: c.clientAddress });
      this.dropAssociation();
      this._state = 'link-connected';
      return;
    }
    const fCtoS = hlsGmacResponse(c.ctos!, {
      systemTitle: this.settings.systemTitle!,
      invocationCounter: this.session.counter.next(),
      encryptionKey: keys.blockCipherKey,
      authenticationKey: keys.authenticationKey,
    });
    this._state = 'associated';
    this.reply(
      encodeApdu({
        type: 'action-response-normal',
        invokeIdAndPriority: iid,
        response: { result: ActionResult.success, returnParameters: { type: 'data', value: { type: 'octet-string', value: fCtoS } } },
      }),
      dedicated,
    );
    this.associatedEvent();
  }

  private onRlrq(): void {
    const c = this.current;
    const userInformation = c && this.session.protection ? this.initiateResponse() : undefined;
    this.send(encodeApdu({ type: 'rlre', reason: 0, ...(userInformation ? { userInformation } : {}) }));
    this.dropAssociation();
    if (this._state !== 'disconnected') this._state = 'link-connected';
    if (c) this.events.push({ type: 'released', clientAddress: c.clientAddress });
  }

  private dropAssociation(): void {
    this.current = undefined;
    this.waiting.clear();
    this.longGet = undefined;
    this.longSet = undefined;
    this.session.policy = 'none';
    if (this._state === 'associated' || this._state === 'hls-pending') this._state = 'link-connected';
  }

  // ---- blocks ----

  /** The largest APDU this server sends: the client's max receive PDU size, capped at its own. */
  private get sendLimit(): number {
    return Math.min(this.current!.clientMaxReceivePduSize, this.settings.maxReceivePduSize);
  }

  private needsBlocks(plainLength: number): boolean {
    return plainLength + (this.session.protection ? CIPHERING_OVERHEAD : 0) > this.sendLimit;
  }

  private startLongGet(invokeId: number, w: Waiting, raw: Uint8Array): void {
    const room = blockRoom(
      { type: 'get-response-with-datablock', invokeIdAndPriority: w.iid, lastBlock: false, blockNumber: 1, result: { type: 'raw-data', value: new Uint8Array(0) } },
      this.sendLimit,
      this.session.protection !== undefined,
    );
    const blocks = splitBlocks(raw, room);
    if (this.settings.quirks.emptyFinalBlock) blocks.push(new Uint8Array(0));
    this.longGet = { invokeId, iid: w.iid, dedicated: w.dedicated, blocks, sent: 0 };
    this.sendGetBlock(this.longGet);
  }

  private sendGetBlock(g: LongGet): void {
    const value = g.blocks[g.sent]!;
    g.sent++;
    const lastBlock = g.sent === g.blocks.length;
    if (lastBlock) this.longGet = undefined;
    this.reply(
      encodeApdu({ type: 'get-response-with-datablock', invokeIdAndPriority: g.iid, lastBlock, blockNumber: g.sent, result: { type: 'raw-data', value } }),
      g.dedicated,
    );
  }

  private nextGetBlock(iid: number, blockNumber: number, dedicated: boolean): void {
    const g = this.longGet;
    if (!g || (iid & 0x0f) !== g.invokeId || blockNumber !== g.sent) {
      this.longGet = undefined;
      const result = g ? DataAccessResult.dataBlockNumberInvalid : DataAccessResult.noLongGetInProgress;
      this.reply(
        encodeApdu({ type: 'get-response-with-datablock', invokeIdAndPriority: iid, lastBlock: true, blockNumber, result: { type: 'data-access-result', value: result } }),
        dedicated,
      );
      return;
    }
    this.sendGetBlock(g);
  }

  private setBlock(iid: number, block: { lastBlock: boolean; blockNumber: number; rawData: Uint8Array }, dedicated: boolean): void {
    const s = this.longSet;
    if (!s || s.iid !== iid || block.blockNumber !== s.block + 1) return this.setBlockError(iid, dedicated);
    s.raw.bytes(block.rawData);
    s.block = block.blockNumber;
    if (!block.lastBlock) {
      this.reply(encodeApdu({ type: 'set-response-datablock', invokeIdAndPriority: iid, blockNumber: s.block }), dedicated);
      return;
    }
    this.longSet = undefined;
    let value: DlmsData;
    try {
      value = decodeDataBytes(s.raw.finish());
    } catch (e) {
      this.fail(e);
      this.reply(encodeApdu({ type: 'set-response-last-datablock', invokeIdAndPriority: iid, result: DataAccessResult.typeUnmatched, blockNumber: s.block }), dedicated);
      return;
    }
    this.expect(iid, 'set', dedicated).setBlock = s.block;
    this.events.push({ type: 'set-request', invokeId: iid & 0x0f, attribute: s.attribute, ...(s.access ? { access: s.access } : {}), value });
  }

  private setBlockError(iid: number, dedicated: boolean): void {
    const result = this.longSet ? DataAccessResult.dataBlockNumberInvalid : DataAccessResult.noLongSetInProgress;
    this.longSet = undefined;
    this.reply(encodeApdu({ type: 'set-response-last-datablock', invokeIdAndPriority: iid, result, blockNumber: 0 }), dedicated);
  }

  // ---- sending ----

  private expect(iid: number, kind: Waiting['kind'], dedicated: boolean): Waiting {
    const w: Waiting = { kind, iid, dedicated };
    this.waiting.set(iid & 0x0f, w);
    return w;
  }

  private take(invokeId: number, kind: Waiting['kind']): Waiting {
    const w = this.waiting.get(invokeId);
    if (!w || w.kind !== kind) throw new DlmsError('DLMS_ERR_STATE', `no ${kind} request ${invokeId} awaits an answer`);
    this.waiting.delete(invokeId);
    return w;
  }

  private reply(plain: Uint8Array, dedicated: boolean): void {
    this.send(this.session.protect(plain, dedicated));
  }

  private push(plain: Uint8Array): void {
    this.send(this._state === 'associated' ? this.session.protect(plain) : plain);
  }

  private exception(serviceError: number, stateError: number): void {
    this.send(encodeApdu({ type: 'exception-response', stateError, serviceError }));
  }

  private requireLink(what: string): void {
    if (this._state === 'disconnected') throw new DlmsError('DLMS_ERR_STATE', `${what}() needs a connected link`);
  }
}
