/*
 * DataNotification (IEC 62056-5-3 §8, tag [15] = 0x0F), unconfirmed, server → client (push), A-XDR:
 *
 * Data-Notification ::= SEQUENCE {
 *   long-invoke-id-and-priority  Long-Invoke-Id-And-Priority,   -- Unsigned32
 *   date-time                    OCTET STRING,                  -- SIZE(0) absent, SIZE(12) COSEM date-time
 *   notification-body            Notification-Body
 * }
 * Notification-Body ::= SEQUENCE { data-value Data }
 *
 * Wire: 0F | 4 bytes long-invoke-id-and-priority | 00, or 0C + 12 bytes date-time | Data.
 */
import { decodeData, encodeData } from '../../../axdr/data.js';
import { decodeDateTime, encodeDateTime } from '../../../axdr/datetime.js';
import type { Reader } from '../../../axdr/reader.js';
import type { CosemDateTime, DlmsData } from '../../../axdr/types.js';
import type { Writer } from '../../../axdr/writer.js';
import { DlmsError } from '../../../errors.js';
import { ApduTag } from '../../tags.js';
import { checkUnsigned, expectTag } from '../common.js';

export interface DataNotification {
  type: 'data-notification';
  /** Raw Long-Invoke-Id-And-Priority; see parseLongInvokeIdAndPriority. */
  longInvokeIdAndPriority: number;
  dateTime?: CosemDateTime;
  body: DlmsData;
}

export function decodeDataNotification(r: Reader): DataNotification {
  expectTag(r, ApduTag.dataNotification, 'data-notification');
  const longInvokeIdAndPriority = r.u32('long-invoke-id-and-priority');
  const at = r.pos;
  const n = r.length('date-time length');
  let dateTime: CosemDateTime | undefined;
  if (n === 12) dateTime = decodeDateTime(r.bytes(12, 'date-time'));
  else if (n !== 0) throw new DlmsError('DLMS_ERR_LENGTH', `date-time must be 0 or 12 bytes, got ${n}`, at);
  const body = decodeData(r);
  return dateTime
    ? { type: 'data-notification', longInvokeIdAndPriority, dateTime, body }
    : { type: 'data-notification', longInvokeIdAndPriority, body };
}

export function encodeDataNotification(w: Writer, v: DataNotification): void {
  w.u8(ApduTag.dataNotification).u32(checkUnsigned(v.longInvokeIdAndPriority, 0xffffffff, 'long-invoke-id-and-priority'));
  if (v.dateTime) w.u8(12).bytes(encodeDateTime(v.dateTime));
  else w.u8(0);
  encodeData(w, v.body);
}
