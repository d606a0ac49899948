/**
 * Documented LoRaWAN payloads (hex) and what they mean, for tests and docs/lorawan.md. The Cayenne LPP vectors
 * are the examples of the LPP description (myDevices); the OBIS-TLV ones are ours (obis-tlv.ts).
 */
export const LPP_VECTORS = {
  /** Channel 3 temperature 27.2 °C, channel 5 temperature 25.5 °C. */
  twoTemperatures: '03670110056700FF',
  /** Channel 1 temperature −4.1 °C. */
  negativeTemperature: '0167FFD7',
  /** Channel 6 accelerometer x 1.234 G, y −1.234 G, z 0 G. */
  accelerometer: '067104D2FB2E0000',
  /** Channel 1 GPS latitude 42.3519°, longitude −87.9094°, altitude 10 m. */
  gps: '018806765FF2960A0003E8',
} as const;

export const TLV_VECTORS = {
  /** 1.0.1.8.0.255 (A+ total), scaler 0, Wh, u32 123456. */
  energy: '01020100010800FF001E060001E240',
  /**
   * TIME 2026-12-07T00:00:00Z (0x6B15F700); A+ T1 (1.0.1.8.1.255) 12345 × 10^2 Wh (scaler 2, Wh, u32) = 1234.5 kWh;
   * voltage L1 (1.0.32.7.0.255) 2314 × 10^−1 V (scaler −1, V, u16) = 231.4 V; STATUS 0x00000005 (bits 0 and 2).
   */
  registersAndStatus: '01016B15F700020100010801FF021E0600003039020100200700FFFF2312090A0300000005',
} as const;

/**
 * A TS013 payload codec in the shape device makers publish (ours, for tests and docs/lorawan.md): a water meter's
 * uplink on fPort 10 — status byte (bit 0 leak, bit 1 reverse flow), volume in litres (u32 little-endian), flow
 * temperature in 0.01 °C (s16 little-endian). `decodeUplink` answers volume in m³.
 */
export const TS013_WATER_CODEC = `
function decodeUplink(input) {
  var b = input.bytes;
  if (input.fPort !== 10) return { errors: ['unknown fPort ' + input.fPort] };
  if (b.length < 7) return { errors: ['payload too short: ' + b.length + ' bytes'] };
  var litres = (b[1] | (b[2] << 8) | (b[3] << 16)) + b[4] * 16777216;
  var t = b[5] | (b[6] << 8);
  if (t & 0x8000) t -= 0x10000;
  var warnings = [];
  if (b[0] & 1) warnings.push('leak');
  return {
    data: { volume: litres / 1000, temperature: t / 100, alarms: { leak: (b[0] & 1) === 1, reverseFlow: (b[0] & 2) === 2 } },
    warnings: warnings,
  };
}
`;

/** Status 0x01 (leak), 1,234,567 L, 12.34 °C: volume 1234.567 m³. */
export const TS013_WATER_UPLINK = '0187D61200D204';
