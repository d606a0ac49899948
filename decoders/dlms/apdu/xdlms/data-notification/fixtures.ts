/** Captured DataNotification APDUs (hex). */
export const DATA_NOTIFICATION_FIXTURES = {
  /** No date-time, body octet-string(34). u9n/dlms-cosem tests/test_xdlms/test_data_notification.py */
  withoutDateTime:
    '0F 00 00 01 DB 00 09 22 12 5A 85 91 36 00 00 00 00 49 00 00 00 11 00 00 00 0A 5A 85 13 D0 14 80 00 00 00 0D 00 00 00 0A 01 00',
  /**
   * Push with date-time 2022-09-19 12:51:20, deviation not specified. Long-invoke-id 8796687 and the
   * date-time from the Gurux translation in github.com/scs/smartmeter-datacollector issue #31; the body
   * is shortened to the push setup's logical name 0.8.25.9.0.255 and a counter.
   */
  withDateTime:
    '0F 00 86 3A 0F 0C 07 E6 09 13 01 0C 33 14 FF 80 00 00 02 02 09 06 00 08 19 09 00 FF 06 00 00 00 01',
} as const;
