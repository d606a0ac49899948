/** General (seed 003 table 4) and security (table 5) events, with the acting user and IP. */
import type { Db } from './db.js';

/** Table 4, plus SET_PROJECT_*, SET_CHANNEL_*, SET_PROTOCOL_*, SET_COMMLINE_*, SET_SECURITY_KEY_*, SET_DEVICE_IMPORT, SET_CENC_AMR_USER_REMOVED, SET_TASK_*, SET_CONTROL_SETTINGS_UPDATE, SET_DEVICE_PROFILE_*, SET_NOTIFICATION_*, SET_FIRMWARE_* and FIRMWARE_CAMPAIGN_*, SET_VEE_*, SET_UNB_* (our additions, so every change is audited). */
export type GeneralEvent =
  | 'SET_DEVICE_ADD' | 'SET_DEVICE_UPDATE' | 'SET_DEVICE_REMOVE' | 'SET_DEVICE_IMPORT'
  | 'SET_DEVICE_GROUP_ADD' | 'SET_DEVICE_GROUP_UPDATE' | 'SET_DEVICE_GROUP_REMOVE'
  | 'SET_CENC_DEVICE_CONNECTED' | 'SET_CENC_DEVICE_DISCONNECTED' | 'SET_CENC_DEVICE_ACCESS_START' | 'SET_CENC_DEVICE_ACCESS_FINISH'
  | 'SET_CENC_AMR_USER_ADDED' | 'SET_CENC_AMR_USER_UPDATE_NAME' | 'SET_CENC_AMR_USER_UPDATE_PASSWORD' | 'SET_CENC_AMR_USER_REMOVED'
  | 'SET_MEASUREMENT_ARCHIVE_ADD' | 'SET_MEASUREMENT_ARCHIVE_UPDATE' | 'SET_MEASUREMENT_ARCHIVE_REMOVE'
  | 'SET_STATE_ARCHIVE_ADD' | 'SET_STATE_ARCHIVE_UPDATE' | 'SET_STATE_ARCHIVE_REMOVE'
  | 'SET_EVENT_ARCHIVE_ADD' | 'SET_EVENT_ARCHIVE_UPDATE' | 'SET_EVENT_ARCHIVE_REMOVE'
  | 'SET_PROJECT_ADD' | 'SET_PROJECT_UPDATE' | 'SET_PROJECT_REMOVE'
  | 'SET_CHANNEL_ADD' | 'SET_CHANNEL_UPDATE' | 'SET_CHANNEL_REMOVE'
  | 'SET_PROTOCOL_ADD' | 'SET_PROTOCOL_UPDATE' | 'SET_PROTOCOL_REMOVE'
  | 'SET_COMMLINE_ADD' | 'SET_COMMLINE_UPDATE' | 'SET_COMMLINE_REMOVE'
  | 'SET_SECURITY_KEY_ADD' | 'SET_SECURITY_KEY_UPDATE' | 'SET_SECURITY_KEY_REMOVE'
  | 'SET_TASK_ADD' | 'SET_TASK_UPDATE' | 'SET_TASK_REMOVE' | 'SET_TASK_SCHEDULE' | 'SET_TASK_LAUNCH' | 'SET_TASK_CANCEL'
  | 'SET_TASK_APPROVE' | 'SET_TASK_REJECT' | 'SET_CONTROL_SETTINGS_UPDATE'
  | 'SET_DEVICE_PROFILE_ADD' | 'SET_DEVICE_PROFILE_UPDATE' | 'SET_DEVICE_PROFILE_REMOVE'
  | 'SET_NOTIFICATION_RULE_ADD' | 'SET_NOTIFICATION_RULE_UPDATE' | 'SET_NOTIFICATION_RULE_REMOVE' | 'SET_NOTIFICATION_REPLAY'
  | 'SET_FIRMWARE_IMAGE_ADD' | 'SET_FIRMWARE_IMAGE_REMOVE' | 'SET_FIRMWARE_UPDATE_ADD' | 'SET_FIRMWARE_UPDATE_START' | 'SET_FIRMWARE_UPDATE_STOP'
  | 'SET_FIRMWARE_UPDATE_REMOVE' | 'SET_FIRMWARE_CAMPAIGN_ADD' | 'SET_FIRMWARE_CAMPAIGN_PAUSE' | 'SET_FIRMWARE_CAMPAIGN_RESUME' | 'SET_FIRMWARE_CAMPAIGN_CANCEL'
  /** A campaign's next wave started, or the campaign stopped by itself (error rate) or finished (scheduler/firmware.ts). */
  | 'FIRMWARE_CAMPAIGN_WAVE' | 'FIRMWARE_CAMPAIGN_STOPPED' | 'FIRMWARE_CAMPAIGN_FINISHED'
  /** VEE (api/vee.ts): validation rules saved, readings edited or confirmed, estimation and re-validation run. */
  | 'SET_VEE_SETTINGS_UPDATE' | 'SET_VEE_READING_EDIT' | 'SET_VEE_ESTIMATE' | 'SET_VEE_REVALIDATE'
  /** An IEC 61968-100 message at POST /cim (api/cim/routes.ts). */
  | 'SET_CIM_REQUEST'
  /** UNB base stations and downlink tasks (api/unb.ts). */
  | 'SET_UNB_STATION_ADD' | 'SET_UNB_STATION_UPDATE' | 'SET_UNB_STATION_REMOVE' | 'SET_UNB_STATION_TOKEN'
  | 'SET_UNB_DOWNLINK_ADD' | 'SET_UNB_DOWNLINK_CANCEL' | 'SET_UNB_DOWNLINK_REMOVE';

/**
 * Table 5, plus SSET_LOGIN_FAILED (shown as "failed login attempt" in seed 003 figure 58), session/token codes,
 * SSET_PRIVILEGE_ESCALATION_REFUSED (the grant-subset rule refused an action) and SSET_REFRESH_TOKEN_REUSE
 * (a rotated refresh token came back; its session was revoked).
 */
export type SecurityEvent =
  | 'SSET_LOGIN' | 'SSET_LOGOUT' | 'SSET_LOGIN_FAILED' | 'SSET_PASSWORD_CHANGE' | 'SSET_CONFIGURATION_CHANGE'
  | 'SSET_USER_ADD' | 'SSET_USER_UPDATE' | 'SSET_USER_UPDATE_ROLE' | 'SSET_USER_UPDATE_ENABLED' | 'SSET_USER_REMOVE'
  | 'SSET_ROLE_ADD' | 'SSET_ROLE_UPDATE' | 'SSET_ROLE_REMOVE'
  | 'SSET_SECRETS_EXPORT' | 'SSET_SECRETS_EXPORT_REFUSED'
  | 'SSET_SESSION_REVOKE' | 'SSET_API_TOKEN_ADD' | 'SSET_API_TOKEN_REVOKE' | 'SSET_PROJECT_MEMBER_ADD' | 'SSET_PROJECT_MEMBER_REMOVE'
  | 'SSET_PRIVILEGE_ESCALATION_REFUSED' | 'SSET_REFRESH_TOKEN_REUSE'
  /** A UNB base station's exchange refused: unknown identifier or wrong token (ingest/unb). */
  | 'SSET_UNB_STATION_AUTH_FAILED';

export interface EventRecord {
  category: 'general' | 'security';
  code: GeneralEvent | SecurityEvent;
  level?: 'info' | 'warning' | 'error';
  projectId?: string | null;
  userId?: string | null;
  username?: string | null;
  ip?: string | null;
  /** Never put secrets here. */
  params?: Record<string, unknown>;
}

export async function recordEvent(db: Db, e: EventRecord): Promise<void> {
  await db.query(
    'INSERT INTO events (category, code, level, project_id, user_id, username, ip, params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [e.category, e.code, e.level ?? 'info', e.projectId ?? null, e.userId ?? null, e.username ?? null, e.ip ?? null, JSON.stringify(e.params ?? {})],
  );
}
