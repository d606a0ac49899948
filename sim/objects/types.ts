/**
 * The application side of a simulated meter, independent of the connection: COSEM objects answer
 * GET / SET / ACTION on attribute and method descriptors. The connection (sim/transport) hands the
 * server connection's request events to a `CosemServerObjects` and sends back what it returns.
 */
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, DataAccessResult, type CosemAttributeDescriptor, type CosemMethodDescriptor, type GetDataResult, type SelectiveAccess } from '../../decoders/dlms/apdu/index.js';
import type { Meter } from '../meter.js';

export interface ActionOutcome {
  result: number;
  returnParameters?: GetDataResult;
}

export interface CosemServerObjects {
  get(attribute: CosemAttributeDescriptor, access?: SelectiveAccess): GetDataResult;
  /** A Data-Access-Result code. */
  set(attribute: CosemAttributeDescriptor, value: DlmsData, access?: SelectiveAccess): number;
  action(method: CosemMethodDescriptor, parameters?: DlmsData): ActionOutcome;
}

/** The association a request arrives on (what the Association LN object reports). */
export interface SessionInfo {
  clientSap: number;
  serverSap: number;
  /** 0 none, 1 LLS, 5 HLS-GMAC. */
  mechanism: number;
  ciphered: boolean;
  clientSystemTitle?: Uint8Array;
  /** The value the meter's invocation counter has now. */
  invocationCounter: number;
  /** key_transfer of Security Setup: unwrap and install the keys (the transport owns them). */
  transferKeys?(keys: { keyId: number; data: Uint8Array }[]): ActionOutcome;
  /** Push Setup's push method: send that Push Setup's push object list now (the transport decides how). */
  push?(setupObis: string): void;
}

/** What an object sees of the meter while answering one request. */
export interface ObjectContext {
  meter: Meter;
  /** True time, UTC ms (the meter's clock adds drift and adjustments to it). */
  nowMs: number;
  session: SessionInfo;
}

/** One COSEM object of a device profile: shared by every meter of that profile, stateless itself. */
export interface ObjectHandler {
  classId: number;
  obis: string;
  logicalName: Uint8Array;
  /** Attribute ids SET may write, method ids ACTION may invoke (for the object list too). */
  writable: readonly number[];
  methods: readonly number[];
  /** Attributes that take selective access (1 range, 2 entry). */
  selective?: readonly number[];
  get(ctx: ObjectContext, attribute: number, access?: SelectiveAccess): GetDataResult;
  set?(ctx: ObjectContext, attribute: number, value: DlmsData): number;
  action?(ctx: ObjectContext, method: number, parameters?: DlmsData): ActionOutcome;
}

export const data = (value: DlmsData): GetDataResult => ({ type: 'data', value });
export const failure = (code: number): GetDataResult => ({ type: 'data-access-result', value: code });
export const NO_ATTRIBUTE = failure(DataAccessResult.objectUndefined);
export const ACTION_OK: ActionOutcome = { result: ActionResult.success };
export const ACTION_REFUSED: ActionOutcome = { result: ActionResult.temporaryFailure };
export const ACTION_BAD_TYPE: ActionOutcome = { result: ActionResult.typeUnmatched };
export const ACTION_UNDEFINED: ActionOutcome = { result: ActionResult.objectUndefined };

export const octetString = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
