/**
 * Captured GET APDUs (hex). Sources are cited per vector; "constructed" ones follow the grammar in
 * request.ts / response.ts and exist to cover a form no public capture was found for.
 */
export const GET_FIXTURES = {
  /**
   * Clock 8 / 0.0.1.0.0.255 / attribute 2 (time): the classic first read of a session, found verbatim in
   * many public meter scripts; same layout as the u9n/dlms-cosem vector below.
   */
  clockRequest: 'C0 01 C1 00 08 00 00 01 00 00 FF 02 00',
  /** Data 1 / 0.0.43.1.0.255 / 2 (invocation counter). u9n/dlms-cosem tests/test_xdlms/test_get.py */
  invocationCounterRequest: 'C0 01 C1 00 01 00 00 2B 01 00 FF 02 00',
  /** u9n/dlms-cosem tests/test_xdlms/test_get.py (GetRequestNext, block 1) */
  nextRequest: 'C0 02 C1 00 00 00 01',
  /** 1/0.0.42.0.0.255/2 and 8/0.0.1.0.0.255/2. u9n/dlms-cosem tests/test_xdlms/test_get.py */
  withListRequest: 'C0 03 C1 02 00 01 00 00 2A 00 00 FF 02 00 00 08 00 00 01 00 00 FF 02 00',
  /**
   * Load profile 7 / 1.0.99.1.0.255 / 2 by range on the clock column, 2017-10-01 00:00 to 01:00
   * (deviation -60, DST), all columns. u9n/dlms-cosem tests/test_xdlms/test_selective_access.py
   */
  rangeRequest:
    'C0 01 C1 00 07 01 00 63 01 00 FF 02 01 01 02 04 02 04 12 00 08 09 06 00 00 01 00 00 FF 0F 02 12 00 00' +
    ' 09 0C 07 E1 0A 01 07 00 00 00 00 FF C4 80 09 0C 07 E1 0A 01 07 01 00 00 00 FF C4 80 01 00',
  /** Constructed: same profile by entry, rows 1..10, all columns (selector 2). */
  entryRequest: 'C0 01 C1 00 07 01 00 63 01 00 FF 02 01 02 02 04 06 00 00 00 01 06 00 00 00 0A 12 00 01 12 00 00',
  /** double-long-unsigned 5009. u9n/dlms-cosem tests/test_xdlms/test_get.py */
  u32Response: 'C4 01 C1 00 06 00 00 13 91',
  /** data-access-result hardware-fault. u9n/dlms-cosem tests/test_xdlms/test_get.py */
  errorResponse: 'C4 01 C1 01 01',
  /**
   * The clock as octet-string(12): 2021-01-24 14:48:57.80, deviation -60. Date-time value from
   * u9n/dlms-cosem tests/test_xdlms/test_set.py (SET of the clock), wrapped in a Get-Response-Normal.
   */
  clockResponse: 'C4 01 C1 00 09 0C 07 E5 01 18 FF 0E 30 39 50 FF C4 00',
  /** A logical device name and the clock. u9n/dlms-cosem tests/test_xdlms/test_get.py */
  withListResponse:
    'C4 03 C1 02 00 09 10 49 53 4B 31 30 33 30 37 37 37 37 36 34 33 36 36 00 09 0C 07 E5 06 03 04 0E 09 17 00 FF C4 00',
  /** Last block 19 carrying hardware-fault. u9n/dlms-cosem tests/test_xdlms/test_get.py */
  lastBlockErrorResponse: 'C4 02 C1 01 00 00 00 13 01 01',
} as const;
