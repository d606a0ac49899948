/**
 * The Confluent wire format's header (byte 0 = magic 0, bytes 1-4 = schema id, big-endian), apart from the
 * schema stores: the decoder threads read it, and importing the Schema Registry client there would load its
 * KMS drivers (GCP, AWS, Azure, Vault) into every thread.
 */
export const MAGIC = 0;

/** Reads the schema id of a Confluent-framed message; throws on anything else. */
export function wireSchemaId(message: Uint8Array): number {
  if (message.length < 5 || message[0] !== MAGIC) throw new Error('not Confluent wire format (magic byte 0 + schema id)');
  return ((message[1]! << 24) | (message[2]! << 16) | (message[3]! << 8) | message[4]!) >>> 0;
}
