/**
 * The fleet simulator (sim/) as the meter of connector tests and the session benchmark: a fleet behind one
 * TCP port (meter i at wPort 256 + i, or HDLC physical address 16 + i), and the HES settings that reach
 * meter i with each security level and the keys the fleet exported for it.
 */
import type { ConnectionSettingsInit, Framing } from '../../decoders/dlms/connection/index.js';
import { DEFAULT_FLEET, Fleet, type FleetConfig } from '../../sim/fleet.js';
import { HDLC_PHYSICAL_BASE, WPORT_BASE } from '../../sim/transport/addressing.js';
import { ClientSap } from '../../sim/transport/session.js';
import { startTcp, type RunningTransport } from '../../sim/transport/tcp.js';

export type SimSecurity = 'none' | 'low' | 'high-gmac';

/** The HES's own system title in sessions with the simulator. */
export const HES_TITLE = new TextEncoder().encode('HES00001');

export interface SimMetersOptions {
  framing: 'hdlc' | 'wrapper';
  /** Fleet fields (meters, profile, faults, ...); default: 10 meters, ce308, every security level. */
  fleet?: Partial<FleetConfig>;
  now?: () => number;
  port?: number;
  /** HDLC meters whose ports open in IEC 62056-21 mode E (serial meters behind a transparent modem). */
  modeE?: boolean;
}

export interface SimMeters {
  readonly fleet: Fleet;
  readonly port: number;
  readonly transport: RunningTransport;
  close(): Promise<void>;
}

/** The fleet config both sides of a benchmark build: the HES derives the same keys from it. */
export function simFleetConfig(fleet: Partial<FleetConfig> = {}): FleetConfig {
  return { ...DEFAULT_FLEET, security: 'high-gmac', ...fleet };
}

export async function startSimMeters(o: SimMetersOptions): Promise<SimMeters> {
  const fleet = new Fleet(simFleetConfig(o.fleet), o.now);
  const transport = await startTcp({ fleet, framing: o.framing, port: o.port ?? 0, ...(o.modeE ? { modeE: true } : {}) });
  return { fleet, port: transport.ports[0]!, transport, close: () => transport.close() };
}

/** Settings reaching meter `index` of `fleet` behind the shared port, as the registry would hold them. */
export function simSettings(fleet: Fleet, index: number, framing: Extract<Framing, 'hdlc' | 'wrapper'>, security: SimSecurity): ConnectionSettingsInit {
  const address: ConnectionSettingsInit =
    framing === 'hdlc'
      ? { framing, serverLogicalAddress: 1, serverPhysicalAddress: HDLC_PHYSICAL_BASE + index, serverAddressSize: 4 }
      : { framing, serverWPort: WPORT_BASE + index };
  const k = fleet.keys(index);
  if (security === 'none') return { ...address, clientAddress: ClientSap.public };
  if (security === 'low') return { ...address, clientAddress: ClientSap.reader, authentication: 'low', password: k.password };
  return {
    ...address,
    clientAddress: ClientSap.management,
    authentication: 'high-gmac',
    securityPolicy: 'authenticated-and-encrypted',
    keys: { blockCipherKey: k.blockCipherKey, authenticationKey: k.authenticationKey },
    systemTitle: HES_TITLE,
  };
}
