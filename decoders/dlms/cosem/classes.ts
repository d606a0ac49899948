/**
 * The COSEM interface classes this stack knows (IEC 62056-6-2 / DLMS UA Blue Book): class id, the
 * current version, attributes (id, name, expected data type) and methods (id, name, parameter type),
 * as data. Names are the Blue Book's. `since` marks members added by a later version of the class;
 * older objects (the version is in every object_list entry) do not have them.
 *
 * Sources checked: Blue Book attribute/method lists as documented by Gurux (GXDLMS*.py, version
 * handling in getAttributeCount/getMethodCount), jDLMS/OSGP method enums and spodes-rs.
 * Attribute 1 is always logical_name, octet-string(6).
 */
import type { DataTypeName } from '../axdr/types.js';

/** The expected Data type; 'CHOICE' where the Blue Book allows several (e.g. Register.value). */
export type MemberType = DataTypeName | 'CHOICE';

/** What an octet-string attribute carries. */
export type ValueFormat = 'obis' | 'date-time' | 'date' | 'time';

export interface AttributeSpec {
  readonly id: number;
  readonly name: string;
  readonly type: MemberType;
  readonly format?: ValueFormat;
  /** First class version that has this attribute (absent: all versions). */
  readonly since?: number;
}

export interface MethodSpec {
  readonly id: number;
  readonly name: string;
  readonly param: MemberType;
  readonly since?: number;
}

export interface ClassSpec {
  readonly classId: number;
  readonly name: string;
  readonly version: number;
  readonly attributes: readonly AttributeSpec[];
  readonly methods: readonly MethodSpec[];
}

export const ClassId = {
  data: 1,
  register: 3,
  extendedRegister: 4,
  demandRegister: 5,
  registerActivation: 6,
  profileGeneric: 7,
  clock: 8,
  scriptTable: 9,
  specialDaysTable: 11,
  associationSn: 12,
  associationLn: 15,
  imageTransfer: 18,
  activityCalendar: 20,
  singleActionSchedule: 22,
  iecHdlcSetup: 23,
  pushSetup: 40,
  tcpUdpSetup: 41,
  gprsModemSetup: 45,
  securitySetup: 64,
  disconnectControl: 70,
  limiter: 71,
} as const;

type Extra = { format?: ValueFormat; since?: number };
type AttrRow = readonly [id: number, name: string, type: MemberType, extra?: Extra];
type MethodRow = readonly [id: number, name: string, param: MemberType, since?: number];

function cls(classId: number, name: string, version: number, attrs: readonly AttrRow[], methods: readonly MethodRow[] = []): ClassSpec {
  return {
    classId,
    name,
    version,
    attributes: [
      { id: 1, name: 'logical_name', type: 'octet-string', format: 'obis' },
      ...attrs.map(([id, n, type, extra]) => ({ id, name: n, type, ...extra })),
    ],
    methods: methods.map(([id, n, param, since]) => (since === undefined ? { id, name: n, param } : { id, name: n, param, since })),
  };
}

const DT = { format: 'date-time' } as const;
const LN = { format: 'obis' } as const;

const CLASSES: readonly ClassSpec[] = [
  cls(ClassId.data, 'Data', 0, [[2, 'value', 'CHOICE']]),
  cls(ClassId.register, 'Register', 0, [[2, 'value', 'CHOICE'], [3, 'scaler_unit', 'structure']], [[1, 'reset', 'integer']]),
  cls(
    ClassId.extendedRegister,
    'Extended register',
    0,
    [[2, 'value', 'CHOICE'], [3, 'scaler_unit', 'structure'], [4, 'status', 'CHOICE'], [5, 'capture_time', 'octet-string', DT]],
    [[1, 'reset', 'integer']],
  ),
  cls(
    ClassId.demandRegister,
    'Demand register',
    0,
    [
      [2, 'current_average_value', 'CHOICE'],
      [3, 'last_average_value', 'CHOICE'],
      [4, 'scaler_unit', 'structure'],
      [5, 'status', 'CHOICE'],
      [6, 'capture_time', 'octet-string', DT],
      [7, 'start_time_current', 'octet-string', DT],
      [8, 'period', 'double-long-unsigned'],
      [9, 'number_of_periods', 'long-unsigned'],
    ],
    [[1, 'reset', 'integer'], [2, 'next_period', 'integer']],
  ),
  cls(
    ClassId.registerActivation,
    'Register activation',
    0,
    [[2, 'register_assignment', 'array'], [3, 'mask_list', 'array'], [4, 'active_mask', 'octet-string']],
    [[1, 'add_register', 'structure'], [2, 'add_mask', 'structure'], [3, 'delete_mask', 'octet-string']],
  ),
  // Version 1 dropped v0's get_buffer_by_range / get_buffer_by_index methods (selective access replaces them).
  cls(
    ClassId.profileGeneric,
    'Profile generic',
    1,
    [
      [2, 'buffer', 'array'],
      [3, 'capture_objects', 'array'],
      [4, 'capture_period', 'double-long-unsigned'],
      [5, 'sort_method', 'enum'],
      [6, 'sort_object', 'structure'],
      [7, 'entries_in_use', 'double-long-unsigned'],
      [8, 'profile_entries', 'double-long-unsigned'],
    ],
    [[1, 'reset', 'integer'], [2, 'capture', 'integer']],
  ),
  cls(
    ClassId.clock,
    'Clock',
    0,
    [
      [2, 'time', 'octet-string', DT],
      [3, 'time_zone', 'long'],
      [4, 'status', 'unsigned'],
      [5, 'daylight_savings_begin', 'octet-string', DT],
      [6, 'daylight_savings_end', 'octet-string', DT],
      [7, 'daylight_savings_deviation', 'integer'],
      [8, 'daylight_savings_enabled', 'boolean'],
      [9, 'clock_base', 'enum'],
    ],
    [
      [1, 'adjust_to_quarter', 'integer'],
      [2, 'adjust_to_measuring_period', 'integer'],
      [3, 'adjust_to_minute', 'integer'],
      [4, 'adjust_to_preset_time', 'integer'],
      [5, 'preset_adjusting_time', 'structure'],
      [6, 'shift_time', 'long'],
    ],
  ),
  cls(ClassId.scriptTable, 'Script table', 0, [[2, 'scripts', 'array']], [[1, 'execute', 'long-unsigned']]),
  cls(ClassId.specialDaysTable, 'Special days table', 0, [[2, 'entries', 'array']], [[1, 'insert', 'structure'], [2, 'delete', 'long-unsigned']]),
  // Version 2 as Gurux and jDLMS model it; the user-management members of later versions are not listed.
  cls(
    ClassId.associationSn,
    'Association SN',
    2,
    [[2, 'object_list', 'array'], [3, 'access_rights_list', 'array', { since: 2 }], [4, 'security_setup_reference', 'octet-string', { format: 'obis', since: 2 }]],
    [
      [3, 'read_by_logicalname', 'array'],
      [4, 'get_attributes&services', 'array'],
      [5, 'change_LLS_secret', 'octet-string'],
      [6, 'change_HLS_secret', 'octet-string'],
      [8, 'reply_to_HLS_authentication', 'octet-string'],
    ],
  ),
  // Version 3 changed only the meaning of access_mode (a bit map); see association-ln.ts.
  cls(
    ClassId.associationLn,
    'Association LN',
    3,
    [
      [2, 'object_list', 'array'],
      [3, 'associated_partners_id', 'structure'],
      [4, 'application_context_name', 'CHOICE'],
      [5, 'xDLMS_context_info', 'structure'],
      [6, 'authentication_mechanism_name', 'CHOICE'],
      [7, 'secret', 'octet-string'],
      [8, 'association_status', 'enum'],
      [9, 'security_setup_reference', 'octet-string', { format: 'obis', since: 1 }],
      [10, 'user_list', 'array', { since: 2 }],
      [11, 'current_user', 'structure', { since: 2 }],
    ],
    [
      [1, 'reply_to_HLS_authentication', 'octet-string'],
      [2, 'change_HLS_secret', 'octet-string'],
      [3, 'add_object', 'structure'],
      [4, 'remove_object', 'structure'],
      [5, 'add_user', 'structure', 2],
      [6, 'remove_user', 'structure', 2],
    ],
  ),
  cls(
    ClassId.imageTransfer,
    'Image transfer',
    0,
    [
      [2, 'image_block_size', 'double-long-unsigned'],
      [3, 'image_transferred_blocks_status', 'bit-string'],
      [4, 'image_first_not_transferred_block_number', 'double-long-unsigned'],
      [5, 'image_transfer_enabled', 'boolean'],
      [6, 'image_transfer_status', 'enum'],
      [7, 'image_to_activate_info', 'array'],
    ],
    [
      [1, 'image_transfer_initiate', 'structure'],
      [2, 'image_block_transfer', 'structure'],
      [3, 'image_verify', 'integer'],
      [4, 'image_activate', 'integer'],
    ],
  ),
  cls(
    ClassId.activityCalendar,
    'Activity calendar',
    0,
    [
      [2, 'calendar_name_active', 'octet-string'],
      [3, 'season_profile_active', 'array'],
      [4, 'week_profile_table_active', 'array'],
      [5, 'day_profile_table_active', 'array'],
      [6, 'calendar_name_passive', 'octet-string'],
      [7, 'season_profile_passive', 'array'],
      [8, 'week_profile_table_passive', 'array'],
      [9, 'day_profile_table_passive', 'array'],
      [10, 'activate_passive_calendar_time', 'octet-string', DT],
    ],
    [[1, 'activate_passive_calendar', 'integer']],
  ),
  cls(ClassId.singleActionSchedule, 'Single action schedule', 0, [
    [2, 'executed_script', 'structure'],
    [3, 'type', 'enum'],
    [4, 'execution_time', 'array'],
  ]),
  cls(ClassId.iecHdlcSetup, 'IEC HDLC setup', 1, [
    [2, 'comm_speed', 'enum'],
    [3, 'window_size_transmit', 'unsigned'],
    [4, 'window_size_receive', 'unsigned'],
    [5, 'max_info_field_length_transmit', 'long-unsigned'],
    [6, 'max_info_field_length_receive', 'long-unsigned'],
    [7, 'inter_octet_time_out', 'long-unsigned'],
    [8, 'inactivity_time_out', 'long-unsigned'],
    [9, 'device_address', 'long-unsigned'],
  ]),
  // v1 added 8–10, v2 added 11–13, made repetition_delay a structure and added reset.
  cls(
    ClassId.pushSetup,
    'Push setup',
    2,
    [
      [2, 'push_object_list', 'array'],
      [3, 'send_destination_and_method', 'structure'],
      [4, 'communication_window', 'array'],
      [5, 'randomisation_start_interval', 'long-unsigned'],
      [6, 'number_of_retries', 'unsigned'],
      [7, 'repetition_delay', 'CHOICE'],
      [8, 'port_reference', 'octet-string', { format: 'obis', since: 1 }],
      [9, 'push_client_SAP', 'integer', { since: 1 }],
      [10, 'push_protection_parameters', 'array', { since: 1 }],
      [11, 'push_operation_method', 'enum', { since: 2 }],
      [12, 'confirmation_parameters', 'structure', { since: 2 }],
      [13, 'last_confirmation_date_time', 'octet-string', { format: 'date-time', since: 2 }],
    ],
    [[1, 'push', 'integer'], [2, 'reset', 'integer', 2]],
  ),
  cls(ClassId.tcpUdpSetup, 'TCP-UDP setup', 0, [
    [2, 'TCP-UDP_port', 'long-unsigned'],
    [3, 'IP_reference', 'octet-string', LN],
    [4, 'MSS', 'long-unsigned'],
    [5, 'nb_of_sim_conn', 'unsigned'],
    [6, 'inactivity_time_out', 'long-unsigned'],
  ]),
  cls(ClassId.gprsModemSetup, 'GPRS modem setup', 0, [
    [2, 'APN', 'octet-string'],
    [3, 'PIN_code', 'long-unsigned'],
    [4, 'quality_of_service', 'structure'],
  ]),
  cls(
    ClassId.securitySetup,
    'Security setup',
    1,
    [
      [2, 'security_policy', 'enum'],
      [3, 'security_suite', 'enum'],
      [4, 'client_system_title', 'octet-string'],
      [5, 'server_system_title', 'octet-string'],
      [6, 'certificates', 'array', { since: 1 }],
    ],
    [
      [1, 'security_activate', 'enum'],
      [2, 'key_transfer', 'array'],
      [3, 'key_agreement', 'array', 1],
      [4, 'generate_key_pair', 'enum', 1],
      [5, 'generate_certificate_request', 'enum', 1],
      [6, 'import_certificate', 'octet-string', 1],
      [7, 'export_certificate', 'structure', 1],
      [8, 'remove_certificate', 'structure', 1],
    ],
  ),
  cls(
    ClassId.disconnectControl,
    'Disconnect control',
    0,
    [[2, 'output_state', 'boolean'], [3, 'control_state', 'enum'], [4, 'control_mode', 'enum']],
    [[1, 'remote_disconnect', 'integer'], [2, 'remote_reconnect', 'integer']],
  ),
  cls(ClassId.limiter, 'Limiter', 0, [
    [2, 'monitored_value', 'structure'],
    [3, 'threshold_active', 'CHOICE'],
    [4, 'threshold_normal', 'CHOICE'],
    [5, 'threshold_emergency', 'CHOICE'],
    [6, 'min_over_threshold_duration', 'double-long-unsigned'],
    [7, 'min_under_threshold_duration', 'double-long-unsigned'],
    [8, 'emergency_profile', 'structure'],
    [9, 'emergency_profile_group_id_list', 'array'],
    [10, 'emergency_profile_active', 'boolean'],
    [11, 'actions', 'structure'],
  ]),
];

export const COSEM_CLASSES: ReadonlyMap<number, ClassSpec> = new Map(CLASSES.map((c) => [c.classId, c]));

export function classSpec(classId: number): ClassSpec | undefined {
  return COSEM_CLASSES.get(classId);
}

export function className(classId: number): string | undefined {
  return COSEM_CLASSES.get(classId)?.name;
}

export function attributeSpec(classId: number, attr: number): AttributeSpec | undefined {
  return COSEM_CLASSES.get(classId)?.attributes.find((a) => a.id === attr);
}

export function methodSpec(classId: number, method: number): MethodSpec | undefined {
  return COSEM_CLASSES.get(classId)?.methods.find((m) => m.id === method);
}

/** The Blue Book name of an attribute, or undefined for an unknown class or attribute. */
export function attributeName(classId: number, attr: number): string | undefined {
  return attributeSpec(classId, attr)?.name;
}

/** The Blue Book name of a method, or undefined for an unknown class or method. */
export function methodName(classId: number, method: number): string | undefined {
  return methodSpec(classId, method)?.name;
}
