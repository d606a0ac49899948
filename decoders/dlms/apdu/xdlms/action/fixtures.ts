/** Captured ACTION APDUs (hex); sources per vector, "constructed" ones follow the grammar in request.ts / response.ts. */
export const ACTION_FIXTURES = {
  /** Disconnect control 70 / 0.0.96.3.10.255, method 1 remote_disconnect (integer 0). Widely used relay command. */
  disconnectRequest: 'C3 01 C1 00 46 00 00 60 03 0A FF 01 01 0F 00',
  /** Association LN 15 / 0.0.40.0.0.255 method 1 reply_to_HLS_authentication. u9n/dlms-cosem tests/test_xdlms/test_action.py */
  hlsReplyRequest: 'C3 01 C0 00 0F 00 00 28 00 00 FF 01 01 09 11 10 00 00 1A 90 E6 D2 22 1F A2 FD 85 EE D6 1A CC 22',
  /** The same without parameters. u9n/dlms-cosem tests/test_xdlms/test_action.py */
  noParametersRequest: 'C3 01 C0 00 0F 00 00 28 00 00 FF 01 00',
  /** Constructed: ask for parameter block 2. */
  nextPblockRequest: 'C3 02 C1 00 00 00 02',
  /** Constructed: disconnect and reconnect in one request. */
  withListRequest: 'C3 03 C1 02 00 46 00 00 60 03 0A FF 01 00 46 00 00 60 03 0A FF 02 02 0F 00 0F 00',
  /** Constructed: Image transfer 18 / 0.0.44.0.0.255 method 2 (image_block_transfer), first parameter block. */
  withFirstPblockRequest: 'C3 04 C1 00 12 00 00 2C 00 00 FF 02 00 00 00 00 01 04 02 02 06 00',
  /** Constructed. */
  withListFirstPblockRequest: 'C3 05 C1 01 00 12 00 00 2C 00 00 FF 02 00 00 00 00 01 02 02 02',
  /** Constructed: last parameter block 2. */
  withPblockRequest: 'C3 06 C1 01 00 00 00 02 02 00 00',
  /** success. u9n/dlms-cosem tests/test_xdlms/test_action.py */
  successResponse: 'C7 01 C0 00 00',
  /** success with return data octet-string(17) (f(StoC)). u9n/dlms-cosem tests/test_xdlms/test_action.py */
  withDataResponse: 'C7 01 C0 00 01 00 09 11 10 00 00 1A FD E8 85 7B 72 8A 34 99 10 6A A6 65 D1',
  /** success with return data-access-result other-reason. u9n/dlms-cosem tests/test_xdlms/test_action.py */
  withErrorResponse: 'C7 01 C0 00 01 01 FA',
  /** Constructed: return data in blocks, block 1 of ≥ 2. */
  withPblockResponse: 'C7 02 C1 00 00 00 00 01 03 09 04 41',
  /** Constructed: success, and read-write-denied for a list of two methods. */
  withListResponse: 'C7 03 C1 02 00 00 03 00',
  /** Constructed: server asks for the next parameter block 1. */
  nextPblockResponse: 'C7 04 C1 00 00 00 01',
} as const;
