/**
 * LLC header in front of every APDU carried over HDLC (IEC 62056-46 / Green Book "LLC sub-layer"):
 *   destination LSAP E6 | source LSAP E6 (command, client → server) or E7 (response, server → client) | quality 00
 * Only the first segment of a segmented APDU carries it.
 */
import { DlmsError } from '../errors.js';
import { allocBytes } from '../bytes.js';

export type LlcDirection = 'command' | 'response';

export const LLC_HEADER_SIZE = 3;

function sourceLsap(d: LlcDirection): number {
  return d === 'command' ? 0xe6 : 0xe7;
}

/** A copy of `apdu` with the LLC header in front. */
export function addLlc(apdu: Uint8Array, direction: LlcDirection): Uint8Array {
  const out = allocBytes(apdu.length + LLC_HEADER_SIZE);
  out[0] = 0xe6;
  out[1] = sourceLsap(direction);
  out[2] = 0x00;
  out.set(apdu, LLC_HEADER_SIZE);
  return out;
}

/** The APDU after the LLC header, as a view. `direction` is what the sender must have been. */
export function stripLlc(info: Uint8Array, direction: LlcDirection): Uint8Array {
  if (info.length < LLC_HEADER_SIZE) throw new DlmsError('DLMS_ERR_TRUNCATED', 'expected LLC header (3 bytes)', info.length);
  const expected = sourceLsap(direction);
  for (let i = 0; i < LLC_HEADER_SIZE; i++) {
    const want = i === 0 ? 0xe6 : i === 1 ? expected : 0x00;
    if (info[i] !== want) {
      throw new DlmsError('DLMS_ERR_HDLC_FORMAT', `LLC ${direction} header: expected 0x${want.toString(16)}, got 0x${info[i]!.toString(16)}`, i);
    }
  }
  return info.subarray(LLC_HEADER_SIZE);
}
