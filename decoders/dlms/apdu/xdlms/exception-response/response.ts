/*
 * ExceptionResponse (IEC 62056-5-3 §8, tag [216] = 0xD8), sent by a server that cannot even parse
 * or accept a request, A-XDR:
 *
 * ExceptionResponse ::= SEQUENCE {
 *   state-error    [0] IMPLICIT ENUMERATED { service-not-allowed (1), service-unknown (2) },
 *   service-error  [1] CHOICE {
 *     operation-not-possible    [1] IMPLICIT NULL,
 *     service-not-supported     [2] IMPLICIT NULL,
 *     other-reason              [3] IMPLICIT NULL,
 *     pdu-too-long              [4] IMPLICIT NULL,
 *     deciphering-error         [5] IMPLICIT NULL,
 *     invocation-counter-error  [6] IMPLICIT Unsigned32   -- the server's expected minimum counter
 *   }
 * }
 *
 * Wire: D8 | state-error(1) | service-error choice(1) | 4-byte counter for invocation-counter-error.
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { DlmsError } from '../../../errors.js';
import { ApduTag } from '../../tags.js';
import { checkUnsigned, codeNames, expectTag, unknownChoice } from '../common.js';

export const ExceptionStateError = {
  serviceNotAllowed: 1,
  serviceUnknown: 2,
} as const;

export const ExceptionServiceError = {
  operationNotPossible: 1,
  serviceNotSupported: 2,
  otherReason: 3,
  pduTooLong: 4,
  decipheringError: 5,
  invocationCounterError: 6,
} as const;

export const exceptionStateErrorName: (code: number) => string = codeNames(ExceptionStateError);

export const exceptionServiceErrorName: (code: number) => string = codeNames(ExceptionServiceError);

export interface ExceptionResponse {
  type: 'exception-response';
  /** ENUMERATED, kept as sent (see ExceptionStateError). */
  stateError: number;
  /** CHOICE 1..6 (see ExceptionServiceError). */
  serviceError: number;
  /** Present exactly when serviceError is invocation-counter-error. */
  invocationCounter?: number;
}

export function decodeExceptionResponse(r: Reader): ExceptionResponse {
  expectTag(r, ApduTag.exceptionResponse, 'exception-response');
  const stateError = r.u8('state-error');
  const at = r.pos;
  const serviceError = r.u8('service-error choice');
  if (serviceError < 1 || serviceError > 6) throw unknownChoice('service-error', serviceError, at);
  return serviceError === ExceptionServiceError.invocationCounterError
    ? { type: 'exception-response', stateError, serviceError, invocationCounter: r.u32('invocation counter') }
    : { type: 'exception-response', stateError, serviceError };
}

export function encodeExceptionResponse(w: Writer, v: ExceptionResponse): void {
  w.u8(ApduTag.exceptionResponse).u8(checkUnsigned(v.stateError, 0xff, 'state-error'));
  w.u8(checkUnsigned(v.serviceError, 6, 'service-error'));
  const counterError = v.serviceError === ExceptionServiceError.invocationCounterError;
  if (counterError !== (v.invocationCounter !== undefined)) {
    throw new DlmsError('DLMS_ERR_ENCODE', 'invocationCounter is given exactly with invocation-counter-error');
  }
  if (v.invocationCounter !== undefined) w.u32(checkUnsigned(v.invocationCounter, 0xffffffff, 'invocation counter'));
}
