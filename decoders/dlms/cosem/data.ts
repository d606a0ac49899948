/**
 * Data (class_id 1, version 0): a value of any type under a logical name, e.g. the device serial
 * number or a vendor's relay lock state.
 *
 *   attributes: 1 logical_name octet-string(6), 2 value CHOICE (any Data)
 */
import type { DlmsData } from '../axdr/types.js';
import { anyData, attributes, logicalName } from './codec.js';
import { ClassId } from './classes.js';

export interface DataObject {
  logicalName: string;
  value: DlmsData;
}

export const dataAttributes = attributes<DataObject>(ClassId.data, {
  logicalName: [1, logicalName],
  value: [2, anyData],
});
