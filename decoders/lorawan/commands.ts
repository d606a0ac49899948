/**
 * A command (relay connect/disconnect) as the LoRaWAN downlink the device profile's `lorawan.downlinks` declares
 * (docs/lorawan.md): `data` is the input of the profile's ts013 codec (`encodeDownlink({data})`, run in the same
 * sandbox as uplinks), `payload` fixed bytes for devices whose codec encodes nothing. Pure: the reader queues it.
 */
import type { LorawanProfileSection } from '../../schemas/device-profile.js';
import { LorawanError } from './errors.js';
import { Ts013Codec } from './ts013.js';

export interface EncodedCommand {
  bytes: Uint8Array;
  fPort: number;
  confirmed: boolean;
  warnings: string[];
}

/** The downlink of a command function; a `LorawanError` when the profile declares none or the codec refuses it. */
export function encodeCommand(section: LorawanProfileSection | undefined, fn: string): EncodedCommand {
  const downlinks = section?.downlinks;
  const command = downlinks?.commands[fn];
  if (!downlinks || !command) throw new LorawanError('LORAWAN_NO_DOWNLINK', `the device profile's lorawan.downlinks declares no ${fn} command`);
  const confirmed = downlinks.confirmed ?? true;
  if ('payload' in command) {
    const fPort = command.fPort ?? downlinks.fPort;
    if (fPort === undefined) throw new LorawanError('LORAWAN_NO_DOWNLINK', `${fn}: the profile gives the payload no fPort (lorawan.downlinks.fPort)`);
    return { bytes: Uint8Array.from(Buffer.from(command.payload, 'hex')), fPort, confirmed, warnings: [] };
  }
  const script = section.codecs.find((c) => c.codec === 'ts013')?.script;
  if (!script) throw new LorawanError('LORAWAN_NO_DOWNLINK', `${fn}: the profile has no ts013 codec to encode its data`);
  return { ...new Ts013Codec(script).encodeDownlink(command.data), confirmed };
}
