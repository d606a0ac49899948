/** Default archives of seed 003 §2.2.29, seeded on first start; ids are stable codes. */
const day = 24 * 3600;
const tags = ['A+', 'A-', 'R+', 'R-'];
const tariffTags = tags.flatMap((t) => ['T0', 'T1', 'T2', 'T3', 'T4'].map((x) => `${t} ${x}`));

export interface ArchiveSeed {
  id: string;
  kind: 'measurement' | 'event' | 'state';
  name: string;
  retentionSeconds: number;
  settings: Record<string, unknown>;
}

export const DEFAULT_ARCHIVES: readonly ArchiveSeed[] = [
  { id: 'telemetry', kind: 'measurement', name: 'Telemetry', retentionSeconds: 365 * day, settings: { period: 'none', measurement: 'instant' } },
  { id: 'end-of-month', kind: 'measurement', name: 'End of month', retentionSeconds: 365 * day, settings: { period: 'month', value: 1, measurement: 'integral', tags: tariffTags } },
  // Not among seed 003's defaults; the 15-minute profiles of CE208/CE308/IDIS meters need an archive (and its retention).
  { id: 'profile-15', kind: 'measurement', name: 'Profile 15 min', retentionSeconds: 365 * day, settings: { period: 'minute', value: 15, measurement: 'integral', tags } },
  { id: 'profile-30', kind: 'measurement', name: 'Profile 30 min', retentionSeconds: 365 * day, settings: { period: 'minute', value: 30, measurement: 'integral', tags } },
  { id: 'network', kind: 'measurement', name: 'Network parameters', retentionSeconds: 365 * day, settings: { period: 'none', measurement: 'instant' } },
  { id: 'current', kind: 'measurement', name: 'Current readings', retentionSeconds: 365 * day, settings: { period: 'none', measurement: 'integral', tags: tariffTags } },
  { id: 'profile-60', kind: 'measurement', name: 'Profile 60 min', retentionSeconds: 365 * day, settings: { period: 'minute', value: 60, measurement: 'integral', tags } },
  { id: 'end-of-day', kind: 'measurement', name: 'End of day', retentionSeconds: 365 * day, settings: { period: 'day', value: 1, measurement: 'integral', tags: tariffTags } },
  {
    id: 'events', kind: 'event', name: 'Device events', retentionSeconds: 365 * day,
    settings: { journals: ['voltage', 'current', 'power-on-off', 'data-correction', 'external-impact', 'communication', 'access-control', 'self-diagnostics', 'power-quality', 'time-correction', 'power-control', 'relay'] },
  },
  { id: 'state-time', kind: 'state', name: 'Time', retentionSeconds: 365 * day, settings: {} },
  { id: 'state-configuration', kind: 'state', name: 'Configuration', retentionSeconds: 365 * day, settings: {} },
  { id: 'state-state', kind: 'state', name: 'State', retentionSeconds: 365 * day, settings: {} },
  { id: 'state-info', kind: 'state', name: 'Information', retentionSeconds: 365 * day, settings: {} },
  { id: 'state-relay', kind: 'state', name: 'Relay', retentionSeconds: 365 * day, settings: {} },
];
