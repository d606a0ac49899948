/** DLMS/COSEM security: suite 0 ciphering, protected APDUs, invocation counters, LLS / HLS, key wrap. */
export {
  decodeSecurityControl,
  decodeSecurityHeader,
  encodeSecurityControl,
  securityControlFor,
  type Protection,
  type SecurityControl,
  type SecurityHeader,
} from './control.js';
export {
  GENERAL_CIPHERING,
  GENERAL_DED_CIPHERING,
  GENERAL_GLO_CIPHERING,
  GENERAL_SIGNING,
  cipheredTagFor,
  cipheredTagName,
  isCipheredTag,
  serviceCipheredTag,
  type KeySet,
} from './tags.js';
export {
  decipherApdu,
  encipherApdu,
  type CipherParams,
  type Deciphered,
  type DecipherParams,
  type GeneralCipheringEnvelope,
  type KeyKind,
  type SecurityKeys,
} from './cipher.js';
export { decodeCipheredApdu, encodeCipheredApdu, type CipheredApdu } from './ciphered-apdu.js';
export { decodeServiceCiphered, encodeServiceCiphered, type ServiceCipheredApdu } from './service-ciphered/index.js';
export { decodeGeneralGloCiphering, encodeGeneralGloCiphering, type GeneralGloCipheringApdu } from './general-glo-ciphering/index.js';
export { decodeGeneralCiphering, encodeGeneralCiphering, type GeneralCipheringApdu, type KeyInfo } from './general-ciphering/index.js';
export { decodeGeneralSigning, encodeGeneralSigning, type GeneralSigningApdu } from './general-signing/index.js';
export {
  InvocationCounter,
  MAX_INVOCATION_COUNTER,
  ReplayGuard,
  type InvocationCounterState,
  type ReplayGuardEntry,
  type ReplayGuardState,
} from './counters.js';
export {
  generateChallenge,
  hlsGmac,
  hlsGmacResponse,
  verifyHlsGmacResponse,
  MAX_CHALLENGE_LENGTH,
  MIN_CHALLENGE_LENGTH,
  type HlsContext,
  type HlsMechanism,
} from './hls.js';
export { llsAuthenticationValue, verifyLlsPassword } from './lls.js';
export { unwrapKey, wrapKey } from './key-wrap.js';
export { pooledRandomBytes } from './random.js';
