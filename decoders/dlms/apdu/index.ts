/**
 * The COSEM application layer APDUs in plaintext: one entry point that dispatches on the first
 * byte (the tag, see tags.ts) to the service grammars in ./xdlms and ./acse.
 *
 * Ciphered APDUs (glo-/ded-, general-glo/ded-ciphering, general-ciphering/signing) are refused with
 * DLMS_ERR_TAG: the security layer deciphers them and passes the plaintext here.
 */
import { decodeDateTime, formatDateTime, isValidDateTime } from '../axdr/datetime.js';
import { Reader } from '../axdr/reader.js';
import type { DlmsData } from '../axdr/types.js';
import { Writer } from '../axdr/writer.js';
import { DlmsError } from '../errors.js';
import { formatObis } from '../obis.js';
import { type AcseApdu, decodeAare, decodeAarq, decodeRlre, decodeRlrq, encodeAare, encodeAarq, encodeRlre, encodeRlrq } from './acse/index.js';
import { cipheredTagName, hex2, isCipheredTag } from '../security/tags.js';
import { ApduTag, apduTagName } from './tags.js';
import { type ActionRequest, decodeActionRequest, encodeActionRequest } from './xdlms/action/request.js';
import { type ActionResponse, type ActionResponseItem, decodeActionResponse, encodeActionResponse } from './xdlms/action/response.js';
import { type CosemAttributeDescriptor, type CosemMethodDescriptor, type DataBlockSA, type GetDataResult } from './xdlms/common.js';
import {
  type ConfirmedServiceError,
  decodeConfirmedServiceError,
  describeServiceError,
  encodeConfirmedServiceError,
} from './xdlms/confirmed-service-error/response.js';
import { type DataNotification, decodeDataNotification, encodeDataNotification } from './xdlms/data-notification/request.js';
import { actionResultName, dataAccessResultName } from './xdlms/enums.js';
import {
  type EventNotificationRequest,
  decodeEventNotificationRequest,
  encodeEventNotificationRequest,
} from './xdlms/event-notification/request.js';
import {
  type ExceptionResponse,
  decodeExceptionResponse,
  encodeExceptionResponse,
  exceptionServiceErrorName,
  exceptionStateErrorName,
} from './xdlms/exception-response/response.js';
import { type GeneralBlockTransfer, decodeGeneralBlockTransfer, encodeGeneralBlockTransfer } from './xdlms/general-block-transfer/gbt.js';
import { type GetRequest, decodeGetRequest, encodeGetRequest } from './xdlms/get/request.js';
import { type GetResponse, decodeGetResponse, encodeGetResponse } from './xdlms/get/response.js';
import {
  type InitiateRequest,
  type InitiateResponse,
  decodeInitiateRequest,
  decodeInitiateResponse,
  encodeInitiateRequest,
  encodeInitiateResponse,
} from './xdlms/initiate/index.js';
import { type SetRequest, decodeSetRequest, encodeSetRequest } from './xdlms/set/request.js';
import { type SetResponse, decodeSetResponse, encodeSetResponse } from './xdlms/set/response.js';

export type Apdu =
  | GetRequest
  | GetResponse
  | SetRequest
  | SetResponse
  | ActionRequest
  | ActionResponse
  | DataNotification
  | EventNotificationRequest
  | ExceptionResponse
  | ConfirmedServiceError
  | GeneralBlockTransfer
  | InitiateRequest
  | InitiateResponse
  | AcseApdu;

export type ApduType = Apdu['type'];

/** Decodes exactly one plaintext APDU starting at the reader's position (the tag byte). */
export function decodeApduFrom(r: Reader): Apdu {
  const at = r.pos;
  const tag = r.peek('APDU tag');
  switch (tag) {
    case ApduTag.getRequest:
      return decodeGetRequest(r);
    case ApduTag.getResponse:
      return decodeGetResponse(r);
    case ApduTag.setRequest:
      return decodeSetRequest(r);
    case ApduTag.setResponse:
      return decodeSetResponse(r);
    case ApduTag.actionRequest:
      return decodeActionRequest(r);
    case ApduTag.actionResponse:
      return decodeActionResponse(r);
    case ApduTag.dataNotification:
      return decodeDataNotification(r);
    case ApduTag.eventNotificationRequest:
      return decodeEventNotificationRequest(r);
    case ApduTag.exceptionResponse:
      return decodeExceptionResponse(r);
    case ApduTag.confirmedServiceError:
      return decodeConfirmedServiceError(r);
    case ApduTag.generalBlockTransfer:
      return decodeGeneralBlockTransfer(r);
    case ApduTag.initiateRequest:
      return decodeInitiateRequest(r);
    case ApduTag.initiateResponse:
      return decodeInitiateResponse(r);
    case ApduTag.aarq:
      return decodeAarq(r);
    case ApduTag.aare:
      return decodeAare(r);
    case ApduTag.rlrq:
      return decodeRlrq(r);
    case ApduTag.rlre:
      return decodeRlre(r);
  }
  if (isCipheredTag(tag)) {
    throw new DlmsError('DLMS_ERR_TAG', `${cipheredTagName(tag)} (${hex2(tag)}) is a ciphered APDU: decipher it first`, at);
  }
  const name = apduTagName(tag);
  throw new DlmsError('DLMS_ERR_TAG', name ? `${name} (${hex2(tag)}) is not supported` : `unknown APDU tag ${hex2(tag)}`, at);
}

/** Decodes a whole buffer holding one plaintext APDU; trailing bytes are DLMS_ERR_TRAILING. */
export function decodeApdu(b: Uint8Array): Apdu {
  const r = new Reader(b);
  const apdu = decodeApduFrom(r);
  r.done('end of APDU');
  return apdu;
}

export function encodeApduTo(w: Writer, a: Apdu): void {
  switch (a.type) {
    case 'get-request-normal':
    case 'get-request-next':
    case 'get-request-with-list':
      return encodeGetRequest(w, a);
    case 'get-response-normal':
    case 'get-response-with-datablock':
    case 'get-response-with-list':
      return encodeGetResponse(w, a);
    case 'set-request-normal':
    case 'set-request-with-first-datablock':
    case 'set-request-with-datablock':
    case 'set-request-with-list':
    case 'set-request-with-list-and-first-datablock':
      return encodeSetRequest(w, a);
    case 'set-response-normal':
    case 'set-response-datablock':
    case 'set-response-last-datablock':
    case 'set-response-last-datablock-with-list':
    case 'set-response-with-list':
      return encodeSetResponse(w, a);
    case 'action-request-normal':
    case 'action-request-next-pblock':
    case 'action-request-with-list':
    case 'action-request-with-first-pblock':
    case 'action-request-with-list-and-first-pblock':
    case 'action-request-with-pblock':
      return encodeActionRequest(w, a);
    case 'action-response-normal':
    case 'action-response-with-pblock':
    case 'action-response-with-list':
    case 'action-response-next-pblock':
      return encodeActionResponse(w, a);
    case 'data-notification':
      return encodeDataNotification(w, a);
    case 'event-notification-request':
      return encodeEventNotificationRequest(w, a);
    case 'exception-response':
      return encodeExceptionResponse(w, a);
    case 'confirmed-service-error':
      return encodeConfirmedServiceError(w, a);
    case 'general-block-transfer':
      return encodeGeneralBlockTransfer(w, a);
    case 'initiate-request':
      return encodeInitiateRequest(w, a);
    case 'initiate-response':
      return encodeInitiateResponse(w, a);
    case 'aarq':
      return encodeAarq(w, a);
    case 'aare':
      return encodeAare(w, a);
    case 'rlrq':
      return encodeRlrq(w, a);
    case 'rlre':
      return encodeRlre(w, a);
  }
}

/** The APDU's bytes (a view of a buffer owned by the caller from now on). */
export function encodeApdu(a: Apdu): Uint8Array {
  const w = new Writer();
  encodeApduTo(w, a);
  return w.finish();
}

// ---- one-line summaries for traces ----

function attr(d: CosemAttributeDescriptor): string {
  return `${d.classId}/${formatObis(d.instanceId)}/${d.attributeId}`;
}

function method(d: CosemMethodDescriptor): string {
  return `${d.classId}/${formatObis(d.instanceId)} method ${d.methodId}`;
}

/** Type and, for scalars, the value: "double-long-unsigned 5009", "array(96)", "octet-string(12)". */
export function summarizeData(d: DlmsData): string {
  switch (d.type) {
    case 'array':
    case 'structure':
    case 'compact-array':
      return `${d.type}(${d.value.length})`;
    case 'octet-string': {
      // the clock and profile time stamps travel as octet-string(12)
      const dt = d.value.length === 12 ? decodeDateTime(d.value) : undefined;
      return `octet-string(${d.value.length})${dt && isValidDateTime(dt) ? ` ${formatDateTime(dt)}` : ''}`;
    }
    case 'bit-string':
      return `bit-string(${d.value.length})`;
    case 'visible-string':
    case 'utf8-string':
      return `${d.type} ${JSON.stringify(d.value.length > 32 ? d.value.slice(0, 32) + '…' : d.value)}`;
    case 'date-time':
      return `date-time ${formatDateTime(d.value)}`;
    case 'null-data':
    case 'dont-care':
    case 'date':
    case 'time':
      return d.type;
    default:
      return `${d.type} ${String(d.value)}`;
  }
}

function result(r: GetDataResult): string {
  return r.type === 'data' ? summarizeData(r.value) : dataAccessResultName(r.value);
}

function block(b: DataBlockSA): string {
  return `block ${b.blockNumber}${b.lastBlock ? ' last' : ''} ${b.rawData.length} bytes`;
}

function actionItem(i: ActionResponseItem): string {
  return actionResultName(i.result) + (i.returnParameters ? ` ${result(i.returnParameters)}` : '');
}

function iid(invokeIdAndPriority: number): string {
  return `#${invokeIdAndPriority & 0x0f}`;
}

/** A short one-line summary of an APDU for traces, OBIS codes in dotted form. */
export function describeApdu(a: Apdu): string {
  switch (a.type) {
    case 'get-request-normal':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${attr(a.attribute)}${a.access ? ` selector ${a.access.selector}` : ''}`;
    case 'get-request-next':
    case 'set-response-datablock':
    case 'action-request-next-pblock':
    case 'action-response-next-pblock':
      return `${a.type} ${iid(a.invokeIdAndPriority)} block ${a.blockNumber}`;
    case 'get-request-with-list':
    case 'set-request-with-list':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.attributes.map((x) => attr(x.attribute)).join(', ')}`;
    case 'get-response-normal':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${result(a.result)}`;
    case 'get-response-with-datablock': {
      const r = a.result.type === 'raw-data' ? `${a.result.value.length} bytes` : dataAccessResultName(a.result.value);
      return `${a.type} ${iid(a.invokeIdAndPriority)} block ${a.blockNumber}${a.lastBlock ? ' last' : ''} ${r}`;
    }
    case 'get-response-with-list':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.results.map(result).join(', ')}`;
    case 'set-request-normal':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${attr(a.attribute)} ${summarizeData(a.value)}`;
    case 'set-request-with-first-datablock':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${attr(a.attribute)} ${block(a.block)}`;
    case 'set-request-with-datablock':
    case 'action-request-with-pblock':
    case 'action-response-with-pblock':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${block(a.block)}`;
    case 'set-request-with-list-and-first-datablock':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.attributes.map((x) => attr(x.attribute)).join(', ')} ${block(a.block)}`;
    case 'set-response-normal':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${dataAccessResultName(a.result)}`;
    case 'set-response-last-datablock':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${dataAccessResultName(a.result)} block ${a.blockNumber}`;
    case 'set-response-last-datablock-with-list':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.results.map(dataAccessResultName).join(', ')} block ${a.blockNumber}`;
    case 'set-response-with-list':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.results.map(dataAccessResultName).join(', ')}`;
    case 'action-request-normal':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${method(a.method)}${a.parameters ? ` ${summarizeData(a.parameters)}` : ''}`;
    case 'action-request-with-list':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.methods.map(method).join(', ')}`;
    case 'action-request-with-first-pblock':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${method(a.method)} ${block(a.block)}`;
    case 'action-request-with-list-and-first-pblock':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.methods.map(method).join(', ')} ${block(a.block)}`;
    case 'action-response-normal':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${actionItem(a.response)}`;
    case 'action-response-with-list':
      return `${a.type} ${iid(a.invokeIdAndPriority)} ${a.responses.map(actionItem).join(', ')}`;
    case 'data-notification':
      return `${a.type} id ${a.longInvokeIdAndPriority & 0xffffff}${a.dateTime ? ` ${formatDateTime(a.dateTime)}` : ''} ${summarizeData(a.body)}`;
    case 'event-notification-request':
      return `${a.type}${a.time ? ` ${formatDateTime(a.time)}` : ''} ${attr(a.attribute)} ${summarizeData(a.value)}`;
    case 'exception-response':
      return `${a.type} ${exceptionStateErrorName(a.stateError)} ${exceptionServiceErrorName(a.serviceError)}${
        a.invocationCounter !== undefined ? ` ${a.invocationCounter}` : ''
      }`;
    case 'confirmed-service-error':
      return `${a.type} ${describeServiceError(a)}`;
    case 'general-block-transfer':
      return `${a.type} block ${a.blockNumber} ack ${a.blockNumberAck} window ${a.window}${a.lastBlock ? ' last' : ''}${
        a.streaming ? ' streaming' : ''
      } ${a.blockData.length} bytes`;
    case 'initiate-request':
      return `${a.type} dlms ${a.proposedDlmsVersionNumber} conformance 0x${a.proposedConformance.toString(16).padStart(6, '0')} max-pdu ${a.clientMaxReceivePduSize}`;
    case 'initiate-response':
      return `${a.type} dlms ${a.negotiatedDlmsVersionNumber} conformance 0x${a.negotiatedConformance.toString(16).padStart(6, '0')} max-pdu ${a.serverMaxReceivePduSize}`;
    case 'aarq':
      return `${a.type} ${a.applicationContextName.name ?? a.applicationContextName.oid}${a.mechanismName ? ` ${a.mechanismName.name ?? a.mechanismName.oid}` : ''}`;
    case 'aare':
      return `${a.type} ${a.applicationContextName.name ?? a.applicationContextName.oid} result ${a.result}`;
    case 'rlrq':
    case 'rlre':
      return `${a.type}${a.reason !== undefined ? ` reason ${a.reason}` : ''}`;
  }
}

export { ApduTag, apduTagName } from './tags.js';
export * from './xdlms/enums.js';
export type {
  AttributeWithSelection,
  CosemAttributeDescriptor,
  CosemMethodDescriptor,
  DataBlockSA,
  GetDataResult,
  SelectiveAccess,
} from './xdlms/common.js';
export type { ActionRequest, ActionResponse, ConfirmedServiceError, DataNotification, EventNotificationRequest };
export type { ExceptionResponse, GeneralBlockTransfer, GetRequest, GetResponse, SetRequest, SetResponse };
export { encodeGetResponseNormalData } from './xdlms/get/response.js';
export { GbtReassembler, type GbtProgress, type GbtReassemblerOptions } from './xdlms/general-block-transfer/reassembler.js';
export * from './xdlms/selective/access.js';
