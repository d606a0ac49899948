import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LorawanProfileSection } from '../../schemas/device-profile.js';
import { encodeCommand } from './commands.js';
import { TS013_WATER_CODEC } from './fixtures.js';

const RELAY_CODEC = `${TS013_WATER_CODEC}
  function encodeDownlink(input) {
    if (input.data.relay === 'on') return { bytes: [0xA0, 0x01], fPort: 30 };
    if (input.data.relay === 'off') return { bytes: [0xA0, 0x00], fPort: 30 };
    return { errors: ['relay must be on or off'] };
  }`;

describe('LoRaWAN commands as downlinks (the profile\'s lorawan.downlinks)', () => {
  it('encodes a command\'s data with the profile\'s ts013 codec; confirmed unless the profile says otherwise', () => {
    const section: LorawanProfileSection = {
      codecs: [{ codec: 'ts013', fPorts: [10], script: RELAY_CODEC }],
      downlinks: { commands: { 'relay-connect': { data: { relay: 'on' } }, 'relay-disconnect': { data: { relay: 'off' } } } },
    };
    assert.deepEqual(encodeCommand(section, 'relay-disconnect'), { bytes: Uint8Array.from([0xa0, 0]), fPort: 30, confirmed: true, warnings: [] });
    assert.deepEqual(encodeCommand({ ...section, downlinks: { ...section.downlinks!, confirmed: false } }, 'relay-connect').confirmed, false);
  });

  it('sends a fixed payload on the command\'s or the section\'s fPort', () => {
    const section: LorawanProfileSection = {
      codecs: [{ codec: 'obis-tlv' }],
      downlinks: { fPort: 5, commands: { 'relay-connect': { payload: '0101' }, 'relay-disconnect': { payload: '0100', fPort: 6 } } },
    };
    assert.deepEqual(encodeCommand(section, 'relay-connect'), { bytes: Uint8Array.from([1, 1]), fPort: 5, confirmed: true, warnings: [] });
    assert.equal(encodeCommand(section, 'relay-disconnect').fPort, 6);
  });

  it('refuses a command the profile does not declare, data without a ts013 codec, and what the codec refuses', () => {
    const code = (c: string, re?: RegExp) => (e: unknown) => (e as { code: string }).code === c && (!re || re.test((e as Error).message));
    assert.throws(() => encodeCommand(undefined, 'relay-connect'), code('LORAWAN_NO_DOWNLINK', /declares no relay-connect/));
    assert.throws(() => encodeCommand({ codecs: [{ codec: 'obis-tlv' }], downlinks: { commands: { 'relay-connect': { data: {} } } } }, 'relay-connect'), code('LORAWAN_NO_DOWNLINK', /no ts013 codec/));
    assert.throws(() => encodeCommand({ codecs: [{ codec: 'obis-tlv' }], downlinks: { commands: { 'relay-connect': { payload: '01' } } } }, 'relay-connect'), code('LORAWAN_NO_DOWNLINK', /no fPort/));
    assert.throws(() => encodeCommand({ codecs: [{ codec: 'ts013', script: RELAY_CODEC }], downlinks: { commands: { 'relay-connect': { data: { relay: 'half' } } } } }, 'relay-connect'), code('TS013_CODEC_ERRORS', /on or off/));
  });
});
