/**
 * How one listening port reaches many meters (a gateway / concentrator): the meter is chosen from the
 * first frame of a connection. HDLC: by the physical (lower) server address, meter i at 16 + i (2-byte
 * addresses reach 112 meters, 4-byte ones 16,368); wrapper: by the destination wPort, meter i at
 * 256 + i. The usual default addressing (HDLC logical address 1 with no physical address or physical
 * 0/1, wrapper wPort 1) reaches the first meter.
 */
import type { Framing } from '../../decoders/dlms/connection/index.js';
import { DlmsError } from '../../decoders/dlms/errors.js';
import { HdlcFrameAssembler } from '../../decoders/dlms/hdlc/assembler.js';
import { decodeFrame } from '../../decoders/dlms/hdlc/frame.js';
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE } from '../../decoders/dlms/wrapper/wpdu.js';
import type { MeterAddress } from './session.js';

export const HDLC_PHYSICAL_BASE = 16;
export const WPORT_BASE = 256;

export type Resolution = { index: number; address: MeterAddress } | 'need-more' | 'unknown';

/** The meter the first bytes of a connection are for, among `meters` (or the one of `fixedIndex`). */
export function resolveMeter(framing: Framing, first: Uint8Array, meters: number, fixedIndex?: number): Resolution {
  if (framing === 'hdlc') {
    const item = new HdlcFrameAssembler().push(first).find((i) => i.kind === 'frame');
    if (!item || item.kind !== 'frame') return first.length > 2100 ? 'unknown' : 'need-more';
    let dest;
    try {
      dest = decodeFrame(item.frame).destination;
    } catch (e) {
      if (e instanceof DlmsError) return 'unknown';
      throw e;
    }
    const size = dest.size ?? 1;
    const address: MeterAddress = { framing, serverLogicalAddress: dest.logical, serverAddressSize: size, ...(dest.physical !== undefined ? { serverPhysicalAddress: dest.physical } : {}) };
    if (fixedIndex !== undefined) return { index: fixedIndex, address };
    const p = dest.physical;
    if (p === undefined || p === 0 || p === 1) return { index: 0, address };
    const index = p - HDLC_PHYSICAL_BASE;
    return index >= 0 && index < meters ? { index, address } : 'unknown';
  }
  if (first.length < WRAPPER_HEADER_SIZE) return 'need-more';
  let port: number;
  try {
    port = decodeWrapperHeader(first).destinationWPort;
  } catch (e) {
    if (e instanceof DlmsError) return 'unknown';
    throw e;
  }
  const address: MeterAddress = { framing, serverLogicalAddress: 1, serverAddressSize: 1, serverWPort: port };
  if (fixedIndex !== undefined) return { index: fixedIndex, address };
  if (port === 1) return { index: 0, address };
  const index = port - WPORT_BASE;
  return index >= 0 && index < meters ? { index, address } : 'unknown';
}

/** How a client reaches meter i behind a shared port. */
export function describeAddress(framing: Framing, index: number): string {
  return framing === 'hdlc' ? `hdlc logical 1 physical ${HDLC_PHYSICAL_BASE + index} (4-byte address)` : `wPort ${WPORT_BASE + index}`;
}
