/** General-Block-Transfer APDUs (hex), constructed per the grammar in gbt.ts. */
export const GBT_FIXTURES = {
  /** A whole Get-Response-Normal (object-undefined) in one last block; window 1, block 1, ack 0. */
  singleBlock: 'E0 81 00 01 00 00 05 C4 01 C1 01 04',
  /** First block of a streamed window of 3 (streaming bit set), 4 bytes. */
  streamingBlock: 'E0 43 00 01 00 00 04 C4 01 C1 00',
  /** The client's acknowledgement of blocks 1..3 with no data, window 3. */
  ack: 'E0 03 00 01 00 03 00',
} as const;
