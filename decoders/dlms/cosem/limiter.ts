/**
 * Limiter (class_id 71, version 0): watches one attribute against thresholds and runs scripts
 * (e.g. opens the relay) when it stays over/under for a minimum time. No methods.
 *
 *   attributes: 1 logical_name,
 *     2 monitored_value value_definition ::= structure { class_id long-unsigned, logical_name octet-string(6), attribute_index integer },
 *     3 threshold_active, 4 threshold_normal, 5 threshold_emergency: CHOICE (the monitored value's type),
 *     6 min_over_threshold_duration, 7 min_under_threshold_duration: double-long-unsigned (s),
 *     8 emergency_profile ::= structure { emergency_profile_id long-unsigned,
 *         emergency_activation_time octet-string(12), emergency_duration double-long-unsigned (s) },
 *     9 emergency_profile_group_id_list array long-unsigned, 10 emergency_profile_active boolean,
 *     11 actions ::= structure { action_over_threshold action_item, action_under_threshold action_item },
 *        action_item ::= structure { script_logical_name octet-string(6), script_selector long-unsigned }
 */
import type { CosemDateTime, DlmsData } from '../axdr/types.js';
import { anyData, array, attributes, boolean, dateTime, i8, logicalName, struct, u16, u32 } from './codec.js';
import { ClassId } from './classes.js';

export interface ValueDefinition {
  classId: number;
  logicalName: string;
  attributeIndex: number;
}

export interface EmergencyProfile {
  id: number;
  activationTime: CosemDateTime;
  /** Seconds. */
  duration: number;
}

export interface ActionItem {
  scriptLogicalName: string;
  scriptSelector: number;
}

export interface LimiterActions {
  overThreshold: ActionItem;
  underThreshold: ActionItem;
}

export interface Limiter {
  logicalName: string;
  monitoredValue: ValueDefinition;
  thresholdActive: DlmsData;
  thresholdNormal: DlmsData;
  thresholdEmergency: DlmsData;
  minOverThresholdDuration: number;
  minUnderThresholdDuration: number;
  emergencyProfile: EmergencyProfile;
  emergencyProfileGroupIdList: number[];
  emergencyProfileActive: boolean;
  actions: LimiterActions;
}

const actionItem = struct<ActionItem>({ scriptLogicalName: ['script_logical_name', logicalName], scriptSelector: ['script_selector', u16] });

export const limiterAttributes = attributes<Limiter>(ClassId.limiter, {
  logicalName: [1, logicalName],
  monitoredValue: [
    2,
    struct<ValueDefinition>({ classId: ['class_id', u16], logicalName: ['logical_name', logicalName], attributeIndex: ['attribute_index', i8] }),
  ],
  thresholdActive: [3, anyData],
  thresholdNormal: [4, anyData],
  thresholdEmergency: [5, anyData],
  minOverThresholdDuration: [6, u32],
  minUnderThresholdDuration: [7, u32],
  emergencyProfile: [
    8,
    struct<EmergencyProfile>({
      id: ['emergency_profile_id', u16],
      activationTime: ['emergency_activation_time', dateTime],
      duration: ['emergency_duration', u32],
    }),
  ],
  emergencyProfileGroupIdList: [9, array(u16)],
  emergencyProfileActive: [10, boolean],
  actions: [11, struct<LimiterActions>({ overThreshold: ['action_over_threshold', actionItem], underThreshold: ['action_under_threshold', actionItem] })],
});
