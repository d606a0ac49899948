/**
 * SMP-M test vectors (ours, docs/smp-m.md "Test vectors"): meter 195000018 (0x0B9F76D2), uplink key
 * 000102030405060708090A0B0C0D0E0F, downlink key F0E1D2C3B4A5968778695A4B3C2D1E0F. `payload` is the plaintext,
 * `packet` the packet on the air. The XTEA vectors are the published ones of the cipher (32 cycles).
 */
export const SERIAL = 195000018;
export const UPLINK_KEY = '000102030405060708090A0B0C0D0E0F';
export const DOWNLINK_KEY = 'F0E1D2C3B4A5968778695A4B3C2D1E0F';

export const XTEA_VECTORS = [
  { key: '000102030405060708090A0B0C0D0E0F', plain: '4142434445464748', cipher: '497DF3D072612CB5' },
  { key: '000102030405060708090A0B0C0D0E0F', plain: '4141414141414141', cipher: 'E78F2D13744341D8' },
  { key: '00000000000000000000000000000000', plain: '4142434445464748', cipher: 'A0390589F8B8EFA5' },
  { key: '00000000000000000000000000000000', plain: '4141414141414141', cipher: 'ED23375A821A8C2D' },
] as const;

export const VECTORS = {
  /** Counter 41, end of day 2026-12-06T21:00Z: total 1,234,567 Wh, T1 800,000 Wh, T2 434,567 Wh. */
  endOfDay: { counter: 41, payload: '6B15CCD0020012D687000C35000006A187', packet: '100B9F76D2000000290143222311CE6A8B419540871366B8498794174AF728' },
  /** Counter 42, current energy 2026-12-07T09:30Z: total 1,240,000 Wh, T1 803,000 Wh, T2 436,999 Wh. */
  current: { counter: 42, payload: '6B167C98020012EBC0000C40B80006AB07', packet: '100B9F76D20000002A02DF4C15AE059E7BE1902011AD6B21858628DF91700E' },
  /** Counter 43, 15-minute profile, slices ending 00:15, 00:30, 00:45, 01:00 on 2026-12-07: 120, 95, none, 210 Wh. */
  profile: { counter: 43, payload: '6B15FA840F040078005FFFFF00D2', packet: '100B9F76D20000002B0322BB2DB3ACDDE8D0B743E1EFDE37824AAC74' },
  /** Counter 44, events: power off 03:00, power on 03:12, cover opened 04:00 (2026-12-07, UTC). */
  events: { counter: 44, payload: '036B162130016B162400026B162F4003', packet: '100B9F76D20000002C04ED78B53E16B0DA3A06A9C29B69CB42F27ECE8C95' },
  /** Counter 45, command result: downlink 7 (relay, 0x81) done, relay now disconnected. */
  commandResult: { counter: 45, payload: '00000007810000', packet: '100B9F76D20000002D055FB548E0BD6D8FB4197AF2' },
  /** Downlink counter 7: relay disconnect (downlink key). */
  relayOff: { counter: 7, payload: '00', packet: '110B9F76D2000000078186AFCBE502' },
  /** Downlink counter 8: time correction −90 s (downlink key). */
  timeCorrection: { counter: 8, payload: 'FFFFFFA6', packet: '110B9F76D200000008821AF238462750003F' },
} as const;
