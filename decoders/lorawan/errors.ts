/** Why a LoRaWAN payload could not be decoded: a stable code and the byte offset (a `CodedError`, decoders/protocol-decoder.ts). */
export class LorawanError extends Error {
  constructor(readonly code: string, message: string, readonly offset = 0) {
    super(message);
    this.name = 'LorawanError';
  }
}
