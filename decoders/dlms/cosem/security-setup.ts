/**
 * Security setup (class_id 64, version 1): the security policy and suite of an association, the
 * system titles, certificates, and the key-management methods.
 *
 *   attributes: 1 logical_name, 2 security_policy enum, 3 security_suite enum,
 *     4 client_system_title octet-string, 5 server_system_title octet-string,
 *     6 certificates array certificate_info { certificate_entity enum, certificate_type enum,
 *       serial_number octet-string, issuer octet-string, subject octet-string, subject_alt_name octet-string }
 *   methods: 1 security_activate enum (security_policy),
 *     2 key_transfer array key_data { key_id enum, key_wrapped octet-string },
 *     3 key_agreement array { key_id enum, key_ciphered_data octet-string },
 *     4 generate_key_pair enum, 5 generate_certificate_request enum, 6 import_certificate octet-string,
 *     7 export_certificate structure, 8 remove_certificate structure
 *
 * security_policy: version 0 enumerates 0 nothing, 1 all messages authenticated, 2 all encrypted,
 * 3 authenticated and encrypted; version 1 is a bit map (SecurityPolicyBits).
 * key_wrapped is the new key wrapped with the master key (KEK) per RFC 3394; unwrapping belongs to
 * decoders/dlms/security/.
 */
import type { DlmsData } from '../axdr/types.js';
import { anyData, array, attributes, enumeration, int, logicalName, methods, octetString, struct } from './codec.js';
import { ClassId } from './classes.js';

export const SecurityPolicyV0 = { nothing: 0, authenticated: 1, encrypted: 2, authenticatedAndEncrypted: 3 } as const;

export const SecurityPolicyBits = {
  authenticatedRequest: 0x04,
  encryptedRequest: 0x08,
  digitallySignedRequest: 0x10,
  authenticatedResponse: 0x20,
  encryptedResponse: 0x40,
  digitallySignedResponse: 0x80,
} as const;

/** 0 AES-GCM-128; 1 ECDH-ECDSA-AES-GCM-128-SHA-256; 2 ECDH-ECDSA-AES-GCM-256-SHA-384. */
export const SecuritySuite = { aesGcm128: 0, ecdhEcdsaAesGcm128Sha256: 1, ecdhEcdsaAesGcm256Sha384: 2 } as const;

export const KeyId = { globalUnicastEncryption: 0, globalBroadcastEncryption: 1, authentication: 2, master: 3 } as const;
export type KeyId = (typeof KeyId)[keyof typeof KeyId];

export const CertificateEntity = { server: 0, client: 1, certificationAuthority: 2, other: 3 } as const;
export const CertificateType = { digitalSignature: 0, keyAgreement: 1, tls: 2, other: 3 } as const;

export interface CertificateInfo {
  entity: number;
  type: number;
  serialNumber: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  subjectAltName: Uint8Array;
}

export interface SecuritySetup {
  logicalName: string;
  securityPolicy: number;
  securitySuite: number;
  clientSystemTitle: Uint8Array;
  serverSystemTitle: Uint8Array;
  certificates: CertificateInfo[];
}

export const securitySetupAttributes = attributes<SecuritySetup>(ClassId.securitySetup, {
  logicalName: [1, logicalName],
  securityPolicy: [2, enumeration],
  securitySuite: [3, enumeration],
  clientSystemTitle: [4, octetString],
  serverSystemTitle: [5, octetString],
  certificates: [
    6,
    array(
      struct<CertificateInfo>({
        entity: ['certificate_entity', enumeration],
        type: ['certificate_type', enumeration],
        serialNumber: ['serial_number', octetString],
        issuer: ['issuer', octetString],
        subject: ['subject', octetString],
        subjectAltName: ['subject_alt_name', octetString],
      }),
    ),
  ],
});

export interface WrappedKey {
  keyId: KeyId;
  /** key_wrapped (key_transfer) or key_ciphered_data (key_agreement). */
  data: Uint8Array;
}

const keyId = int<KeyId>('enum', KeyId.master);

export interface SecuritySetupMethods {
  securityActivate: number;
  keyTransfer: WrappedKey[];
  keyAgreement: WrappedKey[];
  generateKeyPair: number;
  generateCertificateRequest: number;
  importCertificate: Uint8Array;
  exportCertificate: DlmsData;
  removeCertificate: DlmsData;
}

export const securitySetupMethods = methods<SecuritySetupMethods>(ClassId.securitySetup, {
  securityActivate: [1, enumeration],
  keyTransfer: [2, array(struct<WrappedKey>({ keyId: ['key_id', keyId], data: ['key_wrapped', octetString] }))],
  keyAgreement: [3, array(struct<WrappedKey>({ keyId: ['key_id', keyId], data: ['key_ciphered_data', octetString] }))],
  generateKeyPair: [4, enumeration],
  generateCertificateRequest: [5, enumeration],
  importCertificate: [6, octetString],
  exportCertificate: [7, anyData],
  removeCertificate: [8, anyData],
});
