/** Why an SMP-M packet could not be opened or read: a stable code and the byte offset (a `CodedError`, decoders/protocol-decoder.ts). */
export class SmpmError extends Error {
  constructor(readonly code: SmpmErrorCode, message: string, readonly offset = 0) {
    super(message);
    this.name = 'SmpmError';
  }
}

export type SmpmErrorCode =
  | 'SMPM_TRUNCATED' | 'SMPM_VERSION' | 'SMPM_DIRECTION' | 'SMPM_TOO_LONG' | 'SMPM_AUTH' | 'SMPM_REPLAY' | 'SMPM_TYPE' | 'SMPM_LENGTH' | 'SMPM_VALUE'
  | 'SMPM_NO_DEVICE' | 'SMPM_NO_KEY' | 'SMPM_SERIAL';
