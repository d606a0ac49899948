/**
 * Script table (class_id 9, version 0): named lists of actions the meter runs on `execute`
 * (e.g. the tariff or disconnect scripts referenced by the activity calendar and the limiter).
 *
 *   script ::= structure { script_identifier long-unsigned, actions array action_specification }
 *   action_specification ::= structure { service_id enum (1 write attribute, 2 execute method),
 *     class_id long-unsigned, logical_name octet-string(6), index integer, parameter CHOICE }
 *   attributes: 1 logical_name, 2 scripts array script
 *   methods: 1 execute long-unsigned (script_identifier)
 */
import type { DlmsData } from '../axdr/types.js';
import { anyData, array, attributes, i8, int, logicalName, methods, struct, u16 } from './codec.js';
import { ClassId } from './classes.js';

export const ScriptService = { writeAttribute: 1, executeMethod: 2 } as const;

export interface ScriptAction {
  serviceId: number;
  classId: number;
  logicalName: string;
  /** Attribute index (write) or method index (execute). */
  index: number;
  parameter: DlmsData;
}

export interface Script {
  id: number;
  actions: ScriptAction[];
}

export const script = struct<Script>({
  id: ['script_identifier', u16],
  actions: [
    'actions',
    array(
      struct<ScriptAction>({
        serviceId: ['service_id', int('enum', ScriptService.executeMethod)],
        classId: ['class_id', u16],
        logicalName: ['logical_name', logicalName],
        index: ['index', i8],
        parameter: ['parameter', anyData],
      }),
    ),
  ],
});

export interface ScriptTable {
  logicalName: string;
  scripts: Script[];
}

export const scriptTableAttributes = attributes<ScriptTable>(ClassId.scriptTable, {
  logicalName: [1, logicalName],
  scripts: [2, array(script)],
});

export const scriptTableMethods = methods<{ execute: number }>(ClassId.scriptTable, { execute: [1, u16] });
