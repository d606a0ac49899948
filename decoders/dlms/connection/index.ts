/** Sans-I/O DLMS/COSEM connections: a client (HES side) and a server (simulated meter). */
export { DlmsClientConnection, type ClientEvent, type ClientOptions, type ClientState } from './client.js';
export { DlmsServerConnection, type ServerAssociation, type ServerEvent, type ServerOptions, type ServerSettingsInit, type ServerState } from './server.js';
export { REPLY_TO_HLS, type AccessOutcome } from './common.js';
export {
  DEFAULT_CONFORMANCE,
  DEFAULT_QUIRKS,
  DEFAULT_SETTINGS,
  resolveSettings,
  type Authentication,
  type ConnectionQuirks,
  type ConnectionSettings,
  type ConnectionSettingsInit,
  type Framing,
  type SecurityPolicy,
  type SuiteZeroKeys,
} from './settings.js';
