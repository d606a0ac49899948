/**
 * Named enumerations of the xDLMS services (IEC 62056-5-3 §8) and the invoke-id-and-priority bits.
 *
 * Result codes are ENUMERATED, not CHOICEs: a meter answering with a code missing from these lists
 * (vendor-specific or from a newer edition) is still decoded; its name reads "unknown-<n>".
 */
import { codeNames } from './common.js';

/** The codes Data-Access-Result and Action-Result share. */
const COMMON_RESULTS = {
  success: 0,
  hardwareFault: 1,
  temporaryFailure: 2,
  readWriteDenied: 3,
  objectUndefined: 4,
  objectClassInconsistent: 9,
  objectUnavailable: 11,
  typeUnmatched: 12,
  scopeOfAccessViolated: 13,
  dataBlockUnavailable: 14,
  otherReason: 250,
} as const;

/** Data-Access-Result ::= ENUMERATED (GET, SET, and the return data of ACTION). */
export const DataAccessResult = {
  ...COMMON_RESULTS,
  longGetAborted: 15,
  noLongGetInProgress: 16,
  longSetAborted: 17,
  noLongSetInProgress: 18,
  dataBlockNumberInvalid: 19,
} as const;

/** Action-Result ::= ENUMERATED */
export const ActionResult = { ...COMMON_RESULTS, longActionAborted: 15, noLongActionInProgress: 16 } as const;

/** The standard's name of a data-access-result code, e.g. 4 → "object-undefined". */
export const dataAccessResultName: (code: number) => string = codeNames(DataAccessResult);

/** The standard's name of an action-result code, e.g. 0 → "success". */
export const actionResultName: (code: number) => string = codeNames(ActionResult);

/**
 * Invoke-Id-And-Priority ::= Unsigned8. Bits 0-3 invoke-id, bits 4-5 reserved, bit 6 service-class
 * (1 = confirmed), bit 7 priority (1 = high). APDUs keep the raw byte so that reserved bits survive a
 * round trip; these helpers build and read it.
 */
export const InvokePriority = {
  invokeIdMask: 0x0f,
  confirmed: 0x40,
  high: 0x80,
} as const;

export interface InvokeIdAndPriority {
  invokeId: number;
  confirmed: boolean;
  high: boolean;
}

export function invokeIdAndPriority(invokeId: number, confirmed = true, high = false): number {
  return (
    (invokeId & InvokePriority.invokeIdMask) | (confirmed ? InvokePriority.confirmed : 0) | (high ? InvokePriority.high : 0)
  );
}

export function parseInvokeIdAndPriority(b: number): InvokeIdAndPriority {
  return {
    invokeId: b & InvokePriority.invokeIdMask,
    confirmed: (b & InvokePriority.confirmed) !== 0,
    high: (b & InvokePriority.high) !== 0,
  };
}

/**
 * Long-Invoke-Id-And-Priority ::= Unsigned32 (DataNotification, general-ciphering). Bits 0-23
 * long-invoke-id, 24-27 reserved, bit 28 self-descriptive, bit 29 processing-option (1 = break on
 * error), bit 30 service-class (1 = confirmed), bit 31 priority (1 = high).
 */
export const LongInvokePriority = {
  invokeIdMask: 0x00ffffff,
  selfDescriptive: 0x10000000,
  breakOnError: 0x20000000,
  confirmed: 0x40000000,
  high: 0x80000000,
} as const;

export interface LongInvokeIdAndPriority {
  invokeId: number;
  selfDescriptive: boolean;
  breakOnError: boolean;
  confirmed: boolean;
  high: boolean;
}

export function parseLongInvokeIdAndPriority(v: number): LongInvokeIdAndPriority {
  return {
    invokeId: v & LongInvokePriority.invokeIdMask,
    selfDescriptive: (v & LongInvokePriority.selfDescriptive) !== 0,
    breakOnError: (v & LongInvokePriority.breakOnError) !== 0,
    confirmed: (v & LongInvokePriority.confirmed) !== 0,
    high: v >= LongInvokePriority.high,
  };
}

export function longInvokeIdAndPriority(p: LongInvokeIdAndPriority): number {
  return (
    ((p.invokeId & LongInvokePriority.invokeIdMask) |
      (p.selfDescriptive ? LongInvokePriority.selfDescriptive : 0) |
      (p.breakOnError ? LongInvokePriority.breakOnError : 0) |
      (p.confirmed ? LongInvokePriority.confirmed : 0) |
      (p.high ? LongInvokePriority.high : 0)) >>>
    0
  );
}
