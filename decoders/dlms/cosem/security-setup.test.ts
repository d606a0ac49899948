import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { KeyId, SecurityPolicyBits, SecuritySuite, securitySetupAttributes, securitySetupMethods } from './security-setup.js';
import { assertValueError, roundTrip } from './test-helpers.js';

test('Security setup attributes round trip', () => {
  roundTrip(securitySetupAttributes.securityPolicy, SecurityPolicyBits.authenticatedRequest | SecurityPolicyBits.encryptedRequest);
  roundTrip(securitySetupAttributes.securitySuite, SecuritySuite.aesGcm128);
  roundTrip(securitySetupAttributes.clientSystemTitle, fromHex('4D 4D 4D 00 00 BC 61 4E'));
  roundTrip(securitySetupAttributes.serverSystemTitle, fromHex('4D 4D 4D 00 00 00 00 01'));
  roundTrip(securitySetupAttributes.certificates, [
    { entity: 0, type: 0, serialNumber: fromHex('01'), issuer: fromHex('0A0B'), subject: fromHex('0C'), subjectAltName: new Uint8Array(0) },
  ]);
});

test('key_transfer carries key ids and wrapped keys', () => {
  const wrapped = fromHex('1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5'); // 24 bytes: a 16-byte key wrapped (RFC 3394)
  const bytes = roundTrip(securitySetupMethods.keyTransfer, [
    { keyId: KeyId.globalUnicastEncryption, data: wrapped },
    { keyId: KeyId.authentication, data: wrapped },
  ]);
  assert.equal(toHex(bytes).slice(0, 12), '0102' + '0202' + '1600');
  roundTrip(securitySetupMethods.keyAgreement, [{ keyId: KeyId.globalUnicastEncryption, data: fromHex('0102') }]);
  roundTrip(securitySetupMethods.securityActivate, 0x0c);
  roundTrip(securitySetupMethods.importCertificate, fromHex('30 82 01 00'));
  assertValueError(
    () => securitySetupMethods.keyTransfer.decode({ type: 'array', value: [{ type: 'structure', value: [{ type: 'enum', value: 4 }, { type: 'octet-string', value: wrapped }] }] }),
    'Security setup.key_transfer[0].key_id',
    '4',
  );
  assertValueError(() => securitySetupAttributes.clientSystemTitle.decode({ type: 'visible-string', value: 'MMM' }), 'Security setup.client_system_title');
});
