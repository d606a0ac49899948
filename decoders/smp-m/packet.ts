/**
 * The SMP-M packet as this HES defines it (docs/smp-m.md is the normative text; the vendor's published layout is
 * not available to us, so this one module holds all of it and can be replaced by the real one).
 *
 * ```
 * offset  size  field
 * 0       1     version and direction: 0x10 uplink (meter → HES), 0x11 downlink (HES → meter)
 * 1       4     device serial number, u32 big-endian
 * 5       4     packet counter, u32 big-endian: +1 per packet in that direction, never reused under a key
 * 9       1     message type (uplink 0x01..0x05, downlink 0x81..0x82)
 * 10      n     payload, ciphered (0 ≤ n ≤ 48)
 * 10+n    4     MAC
 * ```
 *
 * Keys: each device has an uplink key and a downlink key (16 bytes each, XTEA). From a key K, the cipher key is
 * K itself and the MAC key is Km = XTEA_K(4B 4D 41 43 00 00 00 01) ‖ XTEA_K(4B 4D 41 43 00 00 00 02) ("KMAC").
 *
 * Cipher (XTEA in counter mode): keystream block j (j = 0, 1, …) = XTEA_K(d ‖ counter(4) ‖ 00 ‖ j(2)),
 * d = the direction byte of offset 0; the payload is XORed with the keystream. A (key, direction, counter)
 * triple is never used twice, so no keystream repeats.
 *
 * MAC: XTEA-CBC-MAC under Km over B0 ‖ header ‖ ciphertext ‖ 80 00…, zero IV, where B0 = 4D ‖ d ‖ L(2) ‖ 00 00 00 00,
 * L = 10 + n, and the padding (one 0x80 then zeros) brings the data to whole 8-byte blocks (always at least one
 * padding byte). The MAC is the first 4 bytes of the last CBC block.
 *
 * Replay: the receiver keeps the highest counter it accepted per device and direction. A packet more than
 * REPLAY_WINDOW counters behind it is a replay; one within the window is a late packet (a base station that was
 * offline posts its backlog after others posted newer ones) and is taken unless it was taken already (the HES:
 * the station service's duplicate memory; it tells the decoder the highest counter, docs/unb.md).
 */
import { SmpmError } from './errors.js';
import { XteaKey } from './xtea.js';

export const VERSION = 0x10;
export const HEADER_LENGTH = 10;
export const MAC_LENGTH = 4;
export const MAX_PAYLOAD = 48;
export const MIN_PACKET = HEADER_LENGTH + MAC_LENGTH;
/** How far behind the highest accepted counter a packet may come late (docs/smp-m.md §2.4). */
export const REPLAY_WINDOW = 16;

export type Direction = 'uplink' | 'downlink';

/** What can be read from a packet without its key: enough to route it and drop copies. */
export interface PacketHeader {
  direction: Direction;
  serial: number;
  counter: number;
  type: number;
}

/** Reads the clear header; throws SmpmError when the bytes are no SMP-M packet of this version. */
export function readHeader(packet: Uint8Array): PacketHeader {
  if (packet.length < MIN_PACKET) throw new SmpmError('SMPM_TRUNCATED', `a packet has at least ${MIN_PACKET} bytes, this one ${packet.length}`, packet.length);
  if (packet.length > MIN_PACKET + MAX_PAYLOAD) throw new SmpmError('SMPM_TOO_LONG', `a packet has at most ${MIN_PACKET + MAX_PAYLOAD} bytes, this one ${packet.length}`, MIN_PACKET + MAX_PAYLOAD);
  if ((packet[0]! & 0xfe) !== VERSION) throw new SmpmError('SMPM_VERSION', `version byte 0x${hex2(packet[0]!)} is not 0x10/0x11`, 0);
  const v = new DataView(packet.buffer, packet.byteOffset, packet.length);
  return { direction: packet[0]! & 1 ? 'downlink' : 'uplink', serial: v.getUint32(1), counter: v.getUint32(5), type: packet[9]! };
}

/** A device key with its MAC subkey derived once (keys are cached per device by the decoder). */
export class SmpmKey {
  readonly cipher: XteaKey;
  readonly mac: XteaKey;

  constructor(key: Uint8Array) {
    this.cipher = new XteaKey(key);
    const km = new Uint8Array(16);
    this.cipher.encipher(Uint8Array.of(0x4b, 0x4d, 0x41, 0x43, 0, 0, 0, 1), 0, km, 0);
    this.cipher.encipher(Uint8Array.of(0x4b, 0x4d, 0x41, 0x43, 0, 0, 0, 2), 0, km, 8);
    this.mac = new XteaKey(km);
  }

  static fromHex(hex: string): SmpmKey {
    if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new SmpmError('SMPM_NO_KEY', 'an XTEA key is 32 hex digits');
    return new SmpmKey(Buffer.from(hex, 'hex'));
  }
}

/** Expanded keys by hex, bounded (one per device of recent packets): the pool decoder's and the station service's. */
export class SmpmKeys {
  readonly #keys = new Map<string, SmpmKey>();

  constructor(private readonly max = 100_000) {}

  get(hex: string): SmpmKey {
    let k = this.#keys.get(hex);
    if (!k) {
      if (this.#keys.size >= this.max) this.#keys.delete(this.#keys.keys().next().value!);
      k = SmpmKey.fromHex(hex);
      this.#keys.set(hex, k);
    }
    return k;
  }
}

/** Builds a packet: header, payload ciphered under `key`, MAC. */
export function seal(h: PacketHeader, payload: Uint8Array, key: SmpmKey): Uint8Array {
  if (payload.length > MAX_PAYLOAD) throw new SmpmError('SMPM_TOO_LONG', `a payload has at most ${MAX_PAYLOAD} bytes`);
  const p = new Uint8Array(HEADER_LENGTH + payload.length + MAC_LENGTH);
  const v = new DataView(p.buffer);
  p[0] = VERSION | (h.direction === 'downlink' ? 1 : 0);
  v.setUint32(1, h.serial);
  v.setUint32(5, h.counter);
  p[9] = h.type;
  p.set(payload, HEADER_LENGTH);
  crypt(p, key);
  p.set(mac(p, key), HEADER_LENGTH + payload.length);
  return p;
}

/** Checks the MAC and deciphers the payload; SMPM_AUTH when the MAC does not match (a wrong key or an altered packet). */
export function open(packet: Uint8Array, key: SmpmKey): { header: PacketHeader; payload: Uint8Array } {
  const header = readHeader(packet);
  if (!macMatches(packet, key)) throw new SmpmError('SMPM_AUTH', 'authentication failed: the MAC does not match (wrong key or altered packet)', packet.length - MAC_LENGTH);
  const copy = new Uint8Array(packet); // a copy (Buffer's slice would be a view)
  crypt(copy, key);
  return { header, payload: copy.subarray(HEADER_LENGTH, packet.length - MAC_LENGTH) };
}

/** True when the packet's MAC is right under `key` (the packet must have passed `readHeader`). */
export function macMatches(packet: Uint8Array, key: SmpmKey): boolean {
  const tag = mac(packet, key);
  const at = packet.length - MAC_LENGTH;
  let diff = 0;
  for (let i = 0; i < MAC_LENGTH; i++) diff |= tag[i]! ^ packet[at + i]!;
  return diff === 0;
}

/** XORs the payload of `p` (between header and MAC) with the keystream, in place. */
function crypt(p: Uint8Array, key: SmpmKey): void {
  const end = p.length - MAC_LENGTH;
  const nonce = new Uint8Array(8);
  const stream = new Uint8Array(8);
  nonce[0] = p[0]!;
  nonce.set(p.subarray(5, 9), 1);
  for (let at = HEADER_LENGTH, j = 0; at < end; at += 8, j++) {
    nonce[6] = j >>> 8;
    nonce[7] = j;
    key.cipher.encipher(nonce, 0, stream, 0);
    for (let i = 0; i < 8 && at + i < end; i++) p[at + i] ^= stream[i]!;
  }
}

/** The 4-byte MAC of header ‖ ciphertext of `p` (the MAC field itself is not read). */
function mac(p: Uint8Array, key: SmpmKey): Uint8Array {
  const l = p.length - MAC_LENGTH;
  const data = new Uint8Array(8 + (Math.floor(l / 8) + 1) * 8);
  data[0] = 0x4d;
  data[1] = p[0]!;
  data[2] = l >>> 8;
  data[3] = l;
  data.set(p.subarray(0, l), 8);
  data[8 + l] = 0x80;
  const x = new Uint8Array(8);
  for (let at = 0; at < data.length; at += 8) {
    for (let i = 0; i < 8; i++) x[i] ^= data[at + i]!;
    key.mac.encipher(x, 0, x, 0);
  }
  return x.subarray(0, MAC_LENGTH);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}
