/*
 * ConfirmedServiceError (IEC 62056-5-3 §8, tag [14] = 0x0E), A-XDR. Returned instead of a confirmed
 * service response (and inside AARE user-information when the xDLMS InitiateRequest is refused):
 *
 * ConfirmedServiceError ::= CHOICE {
 *   initiateError [1] ServiceError,  getStatus [2] ServiceError,  getNameList [3] ServiceError,
 *   getVariableAttribute [4] ServiceError,  read [5] ServiceError,  write [6] ServiceError,
 *   getDataSetAttribute [7] ServiceError,  getTIAttribute [8] ServiceError,  changeScope [9] ServiceError,
 *   start [10] ServiceError,  stop [11] ServiceError,  resume [12] ServiceError,  makeUsable [13] ServiceError,
 *   initiateLoad [14] ServiceError,  loadSegment [15] ServiceError,  terminateLoad [16] ServiceError,
 *   initiateUpLoad [17] ServiceError,  upLoadSegment [18] ServiceError,  terminateUpLoad [19] ServiceError
 * }
 * ServiceError ::= CHOICE {
 *   application-reference [0] IMPLICIT ENUMERATED { other (0), time-elapsed (1), application-unreachable (2),
 *       application-reference-invalid (3), application-context-unsupported (4),
 *       provider-communication-error (5), deciphering-error (6) },
 *   hardware-resource [1] IMPLICIT ENUMERATED { other (0), memory-unavailable (1),
 *       processor-resource-unavailable (2), mass-storage-unavailable (3), other-resource-unavailable (4) },
 *   vde-state-error [2] IMPLICIT ENUMERATED { other (0), no-dlms-context (1), loading-data-set (2),
 *       status-nochange (3), status-inoperable (4) },
 *   service [3] IMPLICIT ENUMERATED { other (0), pdu-size (1), service-unsupported (2) },
 *   definition [4] IMPLICIT ENUMERATED { other (0), object-undefined (1), object-class-inconsistent (2),
 *       object-attribute-inconsistent (3) },
 *   access [5] IMPLICIT ENUMERATED { other (0), scope-of-access-violated (1), object-access-violated (2),
 *       hardware-fault (3), object-unavailable (4) },
 *   initiate [6] IMPLICIT ENUMERATED { other (0), dlms-version-too-low (1), incompatible-conformance (2),
 *       pdu-size-too-short (3), refused-by-the-VDE-Handler (4) },
 *   load-data-set [7] IMPLICIT ENUMERATED { other (0), primitive-out-of-sequence (1), not-loadable (2),
 *       dataset-size-too-large (3), not-awaited-segment (4), interpretation-failure (5),
 *       storage-failure (6), data-set-not-ready (7) },
 *   change-scope [8] IMPLICIT ENUMERATED,
 *   task [9] IMPLICIT ENUMERATED { other (0), no-remote-control (1), ti-stopped (2), ti-running (3),
 *       ti-unusable (4) },
 *   other [10] IMPLICIT ENUMERATED
 * }
 *
 * Wire: 0E | service choice(1) | ServiceError choice(1) | enum value(1), e.g. 0E 01 06 01 =
 * initiateError / initiate / dlms-version-too-low.
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { DlmsError } from '../../../errors.js';
import { ApduTag } from '../../tags.js';
import { checkUnsigned, expectTag, unknownChoice } from '../common.js';

/** The service that failed (ConfirmedServiceError choice), by tag. */
export const CONFIRMED_SERVICE_NAMES: readonly string[] = [
  '',
  'initiate-error',
  'get-status',
  'get-name-list',
  'get-variable-attribute',
  'read',
  'write',
  'get-data-set-attribute',
  'get-ti-attribute',
  'change-scope',
  'start',
  'stop',
  'resume',
  'make-usable',
  'initiate-load',
  'load-segment',
  'terminate-load',
  'initiate-upload',
  'upload-segment',
  'terminate-upload',
];

/** ServiceError choices by tag, each with the names of its ENUMERATED values. */
export const SERVICE_ERRORS: readonly { name: string; values: readonly string[] }[] = [
  {
    name: 'application-reference',
    values: [
      'other',
      'time-elapsed',
      'application-unreachable',
      'application-reference-invalid',
      'application-context-unsupported',
      'provider-communication-error',
      'deciphering-error',
    ],
  },
  {
    name: 'hardware-resource',
    values: ['other', 'memory-unavailable', 'processor-resource-unavailable', 'mass-storage-unavailable', 'other-resource-unavailable'],
  },
  { name: 'vde-state-error', values: ['other', 'no-dlms-context', 'loading-data-set', 'status-nochange', 'status-inoperable'] },
  { name: 'service', values: ['other', 'pdu-size', 'service-unsupported'] },
  { name: 'definition', values: ['other', 'object-undefined', 'object-class-inconsistent', 'object-attribute-inconsistent'] },
  { name: 'access', values: ['other', 'scope-of-access-violated', 'object-access-violated', 'hardware-fault', 'object-unavailable'] },
  {
    name: 'initiate',
    values: ['other', 'dlms-version-too-low', 'incompatible-conformance', 'pdu-size-too-short', 'refused-by-the-vde-handler'],
  },
  {
    name: 'load-data-set',
    values: [
      'other',
      'primitive-out-of-sequence',
      'not-loadable',
      'dataset-size-too-large',
      'not-awaited-segment',
      'interpretation-failure',
      'storage-failure',
      'data-set-not-ready',
    ],
  },
  { name: 'change-scope', values: [] },
  { name: 'task', values: ['other', 'no-remote-control', 'ti-stopped', 'ti-running', 'ti-unusable'] },
  { name: 'other', values: [] },
];

export interface ConfirmedServiceError {
  type: 'confirmed-service-error';
  /** ConfirmedServiceError choice: the failed service (1 = initiate-error, 5 = read, 6 = write, ...). */
  service: number;
  /** ServiceError choice 0..10 (6 = initiate, 5 = access, ...). */
  error: number;
  /** The ENUMERATED value inside that choice, kept as sent. */
  value: number;
}

/** e.g. "initiate-error: initiate/dlms-version-too-low" */
export function describeServiceError(v: Pick<ConfirmedServiceError, 'service' | 'error' | 'value'>): string {
  const e = SERVICE_ERRORS[v.error];
  const valueName = e?.values[v.value] ?? `${v.value}`;
  return `${CONFIRMED_SERVICE_NAMES[v.service] ?? v.service}: ${e?.name ?? v.error}/${valueName}`;
}

export function decodeConfirmedServiceError(r: Reader): ConfirmedServiceError {
  expectTag(r, ApduTag.confirmedServiceError, 'confirmed-service-error');
  let at = r.pos;
  const service = r.u8('ConfirmedServiceError choice');
  if (service < 1 || service >= CONFIRMED_SERVICE_NAMES.length) throw unknownChoice('ConfirmedServiceError', service, at);
  at = r.pos;
  const error = r.u8('ServiceError choice');
  if (error >= SERVICE_ERRORS.length) throw unknownChoice('ServiceError', error, at);
  return { type: 'confirmed-service-error', service, error, value: r.u8('ServiceError value') };
}

export function encodeConfirmedServiceError(w: Writer, v: ConfirmedServiceError): void {
  if (v.service < 1) throw new DlmsError('DLMS_ERR_ENCODE', `ConfirmedServiceError choice ${v.service} is not in 1..19`);
  w.u8(ApduTag.confirmedServiceError);
  w.u8(checkUnsigned(v.service, CONFIRMED_SERVICE_NAMES.length - 1, 'ConfirmedServiceError choice'));
  w.u8(checkUnsigned(v.error, SERVICE_ERRORS.length - 1, 'ServiceError choice'));
  w.u8(checkUnsigned(v.value, 0xff, 'ServiceError value'));
}
