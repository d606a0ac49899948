/** A-XDR pieces shared by the initiate PDUs. */
import { DlmsError } from '../../../errors.js';
import type { Reader } from '../../../axdr/reader.js';

/** A-XDR OPTIONAL / DEFAULT presence flag. */
export function readPresence(r: Reader, what: string): boolean {
  const at = r.pos;
  const flag = r.u8(`${what} presence flag`);
  if (flag > 1) throw new DlmsError('DLMS_ERR_VALUE', `${what}: presence flag 0x${flag.toString(16)}, expected 00 or 01`, at);
  return flag === 1;
}

export function expectTag(r: Reader, tag: number, what: string): void {
  const at = r.pos;
  const got = r.u8(`${what} tag`);
  if (got !== tag) {
    throw new DlmsError('DLMS_ERR_TAG', `expected ${what} (tag 0x${tag.toString(16).padStart(2, '0')}), got 0x${got.toString(16).padStart(2, '0')}`, at);
  }
}
