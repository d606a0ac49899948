/** Captured SET APDUs (hex); sources per vector, "constructed" ones follow the grammar in request.ts / response.ts. */
export const SET_FIXTURES = {
  /** Clock time := 2021-01-24 14:48:57.80 dev -60. u9n/dlms-cosem tests/test_xdlms/test_set.py */
  clockRequest: 'C1 01 C1 00 08 00 00 01 00 00 FF 02 00 09 0C 07 E5 01 18 FF 0E 30 39 50 FF C4 00',
  /**
   * First of two blocks writing 1/0.0.128.0.0.255/2. DLMS UA Green Book, "Writing the value of a single
   * attribute with block transfer", as reproduced in u9n/dlms-cosem tests/test_xdlms/test_set.py.
   */
  firstDatablockRequest:
    'C1 02 C1 00 01 00 00 80 00 00 FF 02 00 00 00 00 00 01 15 09 32 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19',
  /** Constructed: the following (last) block. */
  datablockRequest: 'C1 03 C1 01 00 00 00 02 03 20 21 22',
  /** Constructed: two registers' attribute 2 := long-unsigned 1, unsigned 2. */
  withListRequest: 'C1 04 C1 02 00 03 01 00 01 08 00 FF 02 00 00 03 01 00 02 08 00 FF 02 00 02 12 00 01 11 02',
  /** Constructed: the same two attributes, first block of their values. */
  withListFirstDatablockRequest: 'C1 05 C1 02 00 03 01 00 01 08 00 FF 02 00 00 03 01 00 02 08 00 FF 02 00 00 00 00 00 01 02 12 00',
  /** success. u9n/dlms-cosem tests/test_xdlms/test_set.py */
  normalResponse: 'C5 01 C1 00',
  /** block 1 received. u9n/dlms-cosem tests/test_xdlms/test_set.py */
  datablockResponse: 'C5 02 C1 00 00 00 01',
  /** success after last block 2. u9n/dlms-cosem tests/test_xdlms/test_set.py */
  lastDatablockResponse: 'C5 03 C1 00 00 00 00 02',
  /** Constructed: success, read-write-denied after block 2. */
  lastDatablockWithListResponse: 'C5 04 C1 02 00 03 00 00 00 02',
  /** Constructed: success, object-undefined. */
  withListResponse: 'C5 05 C1 02 00 04',
} as const;
