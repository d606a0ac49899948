/** EventNotification.request APDUs (hex), constructed per the grammar in request.ts. */
export const EVENT_NOTIFICATION_FIXTURES = {
  /** No time; Data 1 / 0.0.96.11.0.255 (standard event code) / 2 := unsigned 47. */
  withoutTime: 'C2 00 00 01 00 00 60 0B 00 FF 02 11 2F',
  /** With time 2024-09-02 14:30:10, deviation -180; Register 3 / 1.0.1.8.0.255 / 2 := double-long-unsigned 1000. */
  withTime: 'C2 01 0C 07 E8 09 02 01 0E 1E 0A 00 FF 4C 00 00 03 01 00 01 08 00 FF 02 06 00 00 03 E8',
} as const;
