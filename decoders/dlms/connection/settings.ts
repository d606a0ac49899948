/**
 * Settings of a DLMS/COSEM connection (client and simulated-meter server). Everything a vendor does
 * differently is a setting here, in `quirks`: the connection code never branches on a meter make.
 */
import { conformanceFromBits } from '../apdu/xdlms/initiate/index.js';
import { DlmsError } from '../errors.js';
import type { HdlcAddress } from '../hdlc/frame.js';
import type { HdlcParameters } from '../hdlc/params.js';
import type { Protection, ReplayGuardState, SecurityKeys } from '../security/index.js';

/** 'none': one chunk = one bare APDU (tests, UDP without wrapper). */
export type Framing = 'hdlc' | 'wrapper' | 'none';

/** 'low' = LLS (mechanism 1, password); 'high-gmac' = HLS mechanism 5. */
export type Authentication = 'none' | 'low' | 'high-gmac';

export type SecurityPolicy = 'none' | 'authenticated' | 'encrypted' | 'authenticated-and-encrypted';

/** Suite 0 (AES-GCM-128) keys, 16 bytes each. */
export interface SuiteZeroKeys {
  /** Global unicast encryption key (EK), the "block cipher key". */
  blockCipherKey: Uint8Array;
  authenticationKey: Uint8Array;
  /** Client: when given, sent in the InitiateRequest and used (ded- tags) for the requests of the association. */
  dedicatedKey?: Uint8Array;
}

export interface ConnectionQuirks {
  /** Sign convention of the deviation in the clock and time stamps of this meter (applied to notification times). */
  deviationSign: 'standard' | 'inverted';
  /** Server role: a long GET ends with an extra, empty last block (clients always accept one). */
  emptyFinalBlock: boolean;
  /** HDLC: address the server with its logical address in one byte, whatever `serverAddressSize` says. */
  oneByteServerAddress: boolean;
  /** Client: HLS is done once the reply_to_HLS_authentication ACTION succeeds; the server's f(CtoS) is not checked. */
  hlsWithoutResponseCheck: boolean;
  /** Client: take a response whose invoke-id differs from the request's (meters that do not echo it). */
  ignoreInvokeIdMismatch: boolean;
}

export type HdlcSettings = Partial<HdlcParameters>;

export interface ConnectionSettings {
  framing: Framing;
  /** Client SAP: 16 public client, 32, 48, ... management / reading clients. */
  clientAddress: number;
  /** Logical device of the server (1 = management logical device). */
  serverLogicalAddress: number;
  /** HDLC physical address of the server (2- and 4-byte server addresses). */
  serverPhysicalAddress?: number;
  /** Bytes of the HDLC server address (1, 2 or 4). */
  serverAddressSize: 1 | 2 | 4;
  /** Wrapper ports; default: the client SAP and the server logical address. */
  clientWPort?: number;
  serverWPort?: number;
  authentication: Authentication;
  /** LLS secret. */
  password?: string | Uint8Array;
  securityPolicy: SecurityPolicy;
  /** Needed for ciphering and for HLS-GMAC. */
  keys?: SuiteZeroKeys;
  /** Own system title (8 bytes); calling-AP-title / responding-AP-title. */
  systemTitle?: Uint8Array;
  /** Client: the server's system title when the AARE does not carry it (HLS in the plain LN context). */
  serverSystemTitle?: Uint8Array;
  /** The value the next ciphered APDU carries; the caller persists `invocationCounter` between sessions. */
  invocationCounter: number;
  /** Last accepted counters of the peers, for the replay check (persisted by the caller). */
  replayGuard?: ReplayGuardState;
  /** Client: client-max-receive-pdu-size; server: the most it accepts (server-max-receive-pdu-size). */
  maxReceivePduSize: number;
  /** Client: the SNRM proposal (absent: an empty SNRM, i.e. the defaults). Server: what it can do. */
  hdlc?: HdlcSettings;
  /** Client: proposed conformance; server: supported conformance (24-bit block, wire order). */
  conformance: number;
  /** Send requests with the high-priority bit (most meters and published traces do). */
  highPriority: boolean;
  quirks: ConnectionQuirks;
}

export const DEFAULT_QUIRKS: Readonly<ConnectionQuirks> = Object.freeze({
  deviationSign: 'standard',
  emptyFinalBlock: false,
  oneByteServerAddress: false,
  hlsWithoutResponseCheck: false,
  ignoreInvokeIdMismatch: false,
});

export const DEFAULT_CONFORMANCE = conformanceFromBits([
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'data-notification',
  'get',
  'set',
  'selective-access',
  'event-notification',
  'action',
]);

/** A public client (SAP 16) to the management logical device, no security, over HDLC. */
export const DEFAULT_SETTINGS: Readonly<Omit<ConnectionSettings, 'quirks'>> = Object.freeze({
  framing: 'hdlc',
  clientAddress: 16,
  serverLogicalAddress: 1,
  serverAddressSize: 1,
  authentication: 'none',
  securityPolicy: 'none',
  invocationCounter: 0,
  maxReceivePduSize: 0xffff,
  conformance: DEFAULT_CONFORMANCE,
  highPriority: true,
});

export type ConnectionSettingsInit = Partial<Omit<ConnectionSettings, 'quirks'>> & { quirks?: Partial<ConnectionQuirks> };

function checkBytes(b: Uint8Array | undefined, n: number, what: string): void {
  if (b !== undefined && b.length !== n) throw new DlmsError('DLMS_ERR_VALUE', `${what} must be ${n} bytes, got ${b.length}`);
}

/** What ciphering and authentication need is present and well-formed (a client's settings, a server's association). */
export function checkSecurity(s: Pick<ConnectionSettings, 'securityPolicy' | 'authentication' | 'keys' | 'systemTitle' | 'password'>): void {
  checkBytes(s.systemTitle, 8, 'system title');
  checkBytes(s.keys?.blockCipherKey, 16, 'block cipher key');
  checkBytes(s.keys?.authenticationKey, 16, 'authentication key');
  checkBytes(s.keys?.dedicatedKey, 16, 'dedicated key');
  if (s.securityPolicy !== 'none' || s.authentication === 'high-gmac') {
    if (!s.keys) throw new DlmsError('DLMS_ERR_VALUE', `security policy ${s.securityPolicy} / ${s.authentication} needs keys`);
    if (!s.systemTitle) throw new DlmsError('DLMS_ERR_VALUE', 'ciphering and HLS need the own system title');
  }
  if (s.authentication === 'low' && s.password === undefined) throw new DlmsError('DLMS_ERR_VALUE', 'LLS needs a password');
}

/** Defaults filled in and the combination checked (what ciphering and HLS need is present). */
export function resolveSettings(init: ConnectionSettingsInit = {}): ConnectionSettings {
  const s: ConnectionSettings = { ...DEFAULT_SETTINGS, ...init, quirks: { ...DEFAULT_QUIRKS, ...init.quirks } };
  checkBytes(s.serverSystemTitle, 8, 'server system title');
  checkSecurity(s);
  if (!Number.isInteger(s.maxReceivePduSize) || s.maxReceivePduSize < 12 || s.maxReceivePduSize > 0xffff) {
    throw new DlmsError('DLMS_ERR_VALUE', `max receive PDU size ${s.maxReceivePduSize} is not in 12..65535`);
  }
  return s;
}

/** The HDLC address of the server as these settings put it on the wire. */
export function hdlcServerAddress(s: ConnectionSettings): HdlcAddress {
  if (s.quirks.oneByteServerAddress || s.serverAddressSize === 1) return { logical: s.serverLogicalAddress, size: 1 };
  return { logical: s.serverLogicalAddress, physical: s.serverPhysicalAddress ?? 0, size: s.serverAddressSize };
}

/** The security-layer key set of suite 0 keys. */
export function securityKeys(k: SuiteZeroKeys | undefined, dedicatedKey = k?.dedicatedKey): SecurityKeys {
  if (!k) return {};
  return { globalUnicastKey: k.blockCipherKey, authenticationKey: k.authenticationKey, ...(dedicatedKey ? { dedicatedKey } : {}) };
}

/** The protection of the APDUs under a policy (undefined: plain). */
export function policyProtection(p: SecurityPolicy): Protection | undefined {
  switch (p) {
    case 'none':
      return undefined;
    case 'authenticated':
      return 'authentication';
    case 'encrypted':
      return 'encryption';
    case 'authenticated-and-encrypted':
      return 'authenticated-encryption';
  }
}
