export {
  INITIATE_REQUEST_TAG,
  decodeInitiateRequest,
  encodeInitiateRequest,
  type InitiateRequest,
} from './initiate-request.js';
export {
  INITIATE_RESPONSE_TAG,
  VaaName,
  decodeInitiateResponse,
  encodeInitiateResponse,
  type InitiateResponse,
} from './initiate-response.js';
export {
  CONFORMANCE_BITS,
  conformanceBits,
  conformanceFromBits,
  conformanceMask,
  decodeConformance,
  encodeConformance,
  hasConformance,
  type ConformanceBit,
} from './conformance.js';
