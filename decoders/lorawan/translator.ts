/**
 * The LoRaWAN payload translator behind `hes decode --protocol lorawan --codec NAME HEX`: what a payload codec
 * reads from a FRMPayload, values in physical units, for an operator checking a device's uplink by hand.
 */
import { applyScaler, unitSymbol } from '../dlms/units.js';
import { decodeCayenneLpp } from './cayenne-lpp.js';
import { decodeObisTlv } from './obis-tlv.js';

export const CODECS = ['obis-tlv', 'cayenne-lpp'] as const;
export type CodecName = (typeof CODECS)[number];

export function translatePayload(payload: Uint8Array, codec: CodecName): Record<string, unknown> {
  if (codec === 'obis-tlv') {
    const p = decodeObisTlv(payload);
    return {
      codec,
      registers: p.registers.map((r) => ({
        obis: r.obis, value: applyScaler(r.raw, r.scaler), unit: unitSymbol(r.unit), raw: r.raw, scaler: r.scaler,
        time: r.time === null ? null : new Date(r.time * 1000).toISOString(),
      })),
      status: p.status === null ? null : { word: p.status.toString(16).padStart(8, '0'), bits: [...Array(32).keys()].filter((b) => (p.status! >>> b) & 1) },
    };
  }
  return {
    codec,
    items: decodeCayenneLpp(payload).map((v) => ({ channel: v.channel, type: v.type, values: v.raws.map((r, k) => applyScaler(r, v.scalers[k]!)), unit: v.unit })),
  };
}
