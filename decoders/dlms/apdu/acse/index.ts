/** ACSE APDUs of the DLMS/COSEM application layer: association (AARQ/AARE) and release (RLRQ/RLRE). */
export { AARQ_TAG, decodeAarq, encodeAarq, type Aarq } from './aarq/aarq.js';
export { AARE_TAG, decodeAare, encodeAare, type Aare } from './aare/aare.js';
export { RLRQ_TAG, decodeRlrq, encodeRlrq, type Rlrq } from './rlrq/rlrq.js';
export { RLRE_TAG, decodeRlre, encodeRlre, type Rlre } from './rlre/rlre.js';
export type { AcseRequirements, AcseUserInformation, AssociateSourceDiagnostic, AuthenticationValue } from './elements.js';
export {
  AcseServiceProviderDiagnostic,
  AcseServiceUserDiagnostic,
  AssociationResult,
  ReleaseRequestReason,
  ReleaseResponseReason,
  applicationContextName,
  mechanismName,
  type ApplicationContext,
  type AuthenticationMechanism,
  type NamedOid,
} from './names.js';

import type { Aarq } from './aarq/aarq.js';
import type { Aare } from './aare/aare.js';
import type { Rlrq } from './rlrq/rlrq.js';
import type { Rlre } from './rlre/rlre.js';

export type AcseApdu = Aarq | Aare | Rlrq | Rlre;
