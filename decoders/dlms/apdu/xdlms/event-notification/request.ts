/*
 * EventNotification.request (IEC 62056-5-3 §8, tag [194] = 0xC2), unconfirmed, server → client, A-XDR:
 *
 * EventNotificationRequest ::= SEQUENCE {
 *   time                        OCTET STRING OPTIONAL,   -- a 12-byte COSEM date-time when present
 *   cosem-attribute-descriptor  Cosem-Attribute-Descriptor,
 *   attribute-value             Data
 * }
 *
 * Wire: C2 | 00, or 01 0C + 12 bytes | class-id(2) OBIS(6) attribute-id(1) | Data.
 */
import { decodeData, encodeData } from '../../../axdr/data.js';
import { decodeDateTime, encodeDateTime } from '../../../axdr/datetime.js';
import type { Reader } from '../../../axdr/reader.js';
import type { CosemDateTime, DlmsData } from '../../../axdr/types.js';
import type { Writer } from '../../../axdr/writer.js';
import { DlmsError } from '../../../errors.js';
import { ApduTag } from '../../tags.js';
import {
  type CosemAttributeDescriptor,
  decodeAttributeDescriptor,
  encodeAttributeDescriptor,
  expectTag,
  readPresence,
} from '../common.js';

export interface EventNotificationRequest {
  type: 'event-notification-request';
  time?: CosemDateTime;
  attribute: CosemAttributeDescriptor;
  value: DlmsData;
}

export function decodeEventNotificationRequest(r: Reader): EventNotificationRequest {
  expectTag(r, ApduTag.eventNotificationRequest, 'event-notification-request');
  let time: CosemDateTime | undefined;
  if (readPresence(r, 'time')) {
    const at = r.pos;
    const n = r.length('time length');
    if (n !== 12) throw new DlmsError('DLMS_ERR_LENGTH', `time must be a 12-byte date-time, got ${n} bytes`, at);
    time = decodeDateTime(r.bytes(12, 'time'));
  }
  const attribute = decodeAttributeDescriptor(r);
  const value = decodeData(r);
  return time
    ? { type: 'event-notification-request', time, attribute, value }
    : { type: 'event-notification-request', attribute, value };
}

export function encodeEventNotificationRequest(w: Writer, v: EventNotificationRequest): void {
  w.u8(ApduTag.eventNotificationRequest);
  if (v.time) w.u8(1).u8(12).bytes(encodeDateTime(v.time));
  else w.u8(0);
  encodeAttributeDescriptor(w, v.attribute);
  encodeData(w, v.value);
}
