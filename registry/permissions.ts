/**
 * Permissions (seed 003 appendix 2, table 9) and the default roles (seed 003 table 1 and the special roles
 * under it). Table 1 speaks of UI tabs with View/Read/Write levels; the mapping to permission names is:
 *   Devices / device list / heat map  → Devices;  groups → Devices (group list is part of device management);
 *   channel settings → ChannelSettings; protocol settings → ProtocolSettings; comm lines → DeviceCommline;
 *   Host info/state/time → HesConfig; CENC → All.External.CENC; UNB base stations → UnbBS.BS;
 *   general events → Logs.Common; security events → Logs.Secure; admin-panel logs → Logs.Debug;
 *   projects → *.Projects; users → Users; roles → Roles; archives → Datastore.Archive; mail → Email.Settings;
 *   data collection → DataCollection.Job; alarm notifications (our addition) → Notifications;
 *   firmware update (table 1: Administrator and Operator, not User; table 9 names no permission) → Firmware. "Write" in table 2 includes deleting, so Write grants Delete too.
 */
export const PERMISSIONS: Readonly<Record<string, string>> = {
  'View.Devices': 'Display devices',
  'Read.Devices': 'Read the device list',
  'Write.Devices': 'Add and change devices',
  'Delete.Devices': 'Delete devices',
  'View.Users': 'Display users',
  'Read.Users': 'Read the user list',
  'Write.Users': 'Add and change users',
  'Delete.Users': 'Delete users',
  'View.HesConfig': 'Display the configuration',
  'Read.HesConfig': 'Read the configuration',
  'Write.HesConfig': 'Change the configuration',
  'Delete.HesConfig': 'Delete configuration',
  'View.Roles': 'Display roles',
  'Read.Roles': 'Read roles',
  'Write.Roles': 'Add and change roles',
  'Delete.Roles': 'Delete roles',
  'View.Logs.Debug': 'Display debug logs',
  'Read.Logs.Debug': 'Read debug logs',
  'Delete.Logs.Debug': 'Delete debug logs',
  'View.Logs.Common': 'Display general logs',
  'Read.Logs.Common': 'Read general logs',
  'Delete.Logs.Common': 'Delete general logs',
  'View.Logs.Secure': 'Display security logs',
  'Read.Logs.Secure': 'Read security logs',
  'Delete.Logs.Secure': 'Delete security logs',
  'Read.Datastore': 'Read stored data',
  'Write.Datastore': 'Edit and confirm readings, run estimation and re-validation (VEE)',
  'Delete.Datastore': 'Delete stored data (unused)',
  'View.ProtocolSettings': 'Display protocol settings',
  'Read.ProtocolSettings': 'Read protocol settings',
  'Write.ProtocolSettings': 'Add and change protocol settings',
  'Delete.ProtocolSettings': 'Delete protocol settings',
  'View.ChannelSettings': 'Display channel settings',
  'Read.ChannelSettings': 'Read channel settings',
  'Write.ChannelSettings': 'Add and change channel settings',
  'Delete.ChannelSettings': 'Delete channel settings',
  'View.DeviceCommline': 'Display comm lines',
  'Read.DeviceCommline': 'Read comm lines',
  'Write.DeviceCommline': 'Add and change comm lines',
  'Delete.DeviceCommline': 'Delete comm lines',
  'View.DataCollection.Job': 'Display data collection tabs',
  'Read.DataCollection.Job': 'Read data collection tasks',
  'Write.DataCollection.Job': 'Create and change data collection tasks',
  'Delete.DataCollection.Job': 'Delete data collection tasks',
  'Read.Email.Settings': 'Read SMTP server settings',
  'Write.Email.Settings': 'Write SMTP server settings',
  'Write.Scheduler.JobLaunches': 'Change task launches',
  'Execute.ESB.Device.Read': 'Call the ESB API for reading',
  'Execute.ESB.Device.Control': 'Call the ESB API for control',
  'Read.Datastore.Archive': 'Read the archive list',
  'Write.Datastore.Archive': 'Add and change archives',
  'Delete.Datastore.Archive': 'Delete archives',
  'All.External.CENC': 'Access to the CENC API',
  'View.TreeNodes': 'Display the node tree',
  'Write.TreeNodes': 'Create and edit nodes',
  'View.Page.ceHes': 'Display the HES pages',
  'View.Page.MDM': 'Display the MDM pages',
  'View.SubscriberCabinet': 'Display the subscriber cabinet',
  'Manage.Projects': 'Add and remove project members',
  'Create.Projects': 'Create projects',
  'Update.Projects': 'Update projects',
  'Read.Projects': 'Read projects',
  'Delete.Projects': 'Delete projects',
  'Read.PODIS': 'Exchange data over PODIS',
  'View.UnbBS.BS': 'Display UNB base stations',
  'Read.UnbBS.BS': 'Read UNB base stations',
  'Write.UnbBS.BS': 'Create and update UNB base stations',
  'Delete.UnbBS.BS': 'Delete UNB base stations',
  'Manage.TreeNodesAccess': 'Manage node access',
  'Export.Secrets': 'Export protocol passwords and keys (wrapped or sealed)',
  'Read.Notifications': 'Read notification rules and sent notifications',
  'Write.Notifications': 'Add and change notification rules, replay failed notifications',
  'Delete.Notifications': 'Delete notification rules',
  'View.Firmware': 'Display firmware updates',
  'Read.Firmware': 'Read firmware containers, updates and campaigns',
  'Write.Firmware': 'Upload firmware containers, start and stop updates and campaigns',
  'Delete.Firmware': 'Delete firmware containers and updates',
};

export type Permission = keyof typeof PERMISSIONS & string;

const all = Object.keys(PERMISSIONS);
const vrwd = (area: string) => ['View', 'Read', 'Write', 'Delete'].map((l) => `${l}.${area}`);
const vr = (area: string) => [`View.${area}`, `Read.${area}`];

/** What table 1 calls the "admin panel": projects, users, roles, archives, mail server, logs. */
const adminPanel = new Set([
  ...vrwd('Users'), ...vrwd('Roles'), 'Manage.Projects', 'Create.Projects', 'Update.Projects', 'Delete.Projects',
  'Read.Email.Settings', 'Write.Email.Settings', 'View.Logs.Debug', 'Read.Logs.Debug', 'Delete.Logs.Debug',
  'Write.Datastore.Archive', 'Delete.Datastore.Archive', 'Manage.TreeNodesAccess',
]);

/** Not in table 1: letting secrets leave the HES (docs/security.md "Secret export") is the Administrator's alone. */
const administratorOnly = new Set([...adminPanel, 'Export.Secrets']);

export const DEFAULT_ROLES: ReadonlyArray<{ name: string; description: string; permissions: readonly string[] }> = [
  {
    name: 'Administrator',
    description: 'Everything, including server settings, users and logs',
    permissions: all.filter((p) => p !== 'View.SubscriberCabinet'),
  },
  {
    name: 'Operator',
    description: 'View and read archives, manage devices, relays and collection (read-only tasks)',
    permissions: [
      ...vrwd('Devices'), ...vrwd('ChannelSettings'), ...vrwd('ProtocolSettings'), ...vrwd('DeviceCommline'),
      'View.HesConfig', 'Read.HesConfig', 'Write.HesConfig', 'Read.Datastore',
      ...vr('Logs.Common'), ...vr('Logs.Secure'), ...vr('Logs.Debug'),
      'Read.Datastore.Archive', 'Write.Datastore.Archive', ...vr('DataCollection.Job'),
      'View.Page.ceHes', 'Read.Projects', 'View.TreeNodes', 'Execute.ESB.Device.Read', 'Execute.ESB.Device.Control',
      'Read.Notifications', ...vrwd('Firmware'),
    ],
  },
  {
    name: 'User',
    description: 'View devices and read archives',
    permissions: [...vr('Devices'), 'View.HesConfig', 'Read.HesConfig', 'Read.Datastore', 'View.Page.ceHes', 'Read.Projects', 'View.TreeNodes'],
  },
  {
    name: 'Project Manager',
    description: 'Administrator without the admin panel',
    permissions: all.filter((p) => p !== 'View.SubscriberCabinet' && !administratorOnly.has(p)),
  },
  {
    name: 'M2M',
    description: 'API integration (IEC 61968) only',
    permissions: ['Read.Devices', 'Read.Datastore', 'Execute.ESB.Device.Read', 'Execute.ESB.Device.Control'],
  },
  {
    name: 'Subscriber',
    description: 'Own meters only (subscriber cabinet)',
    permissions: ['View.SubscriberCabinet'],
  },
];

/** Default accounts of seed 003 table 7; each must change its password at first login. */
export const DEFAULT_ACCOUNTS = [
  { username: 'admin', password: 'hesadmin', role: 'Administrator' },
  { username: 'operator', password: 'hesoperator', role: 'Operator' },
  { username: 'user', password: 'hesuser', role: 'User' },
] as const;

/**
 * Permissions that confine their holder rather than empower: the subscriber cabinet shows a subscriber
 * their own meters only. Giving them is never an escalation, so the grant-subset rule ignores them.
 */
export const NARROWING_PERMISSIONS: ReadonlySet<string> = new Set(['View.SubscriberCabinet']);

/**
 * The grant-subset rule (docs/security.md): of `wanted`, the permissions that someone holding `held`
 * may not give or exercise power over, sorted. Empty when `wanted` is within `held`.
 */
export function permissionsLacking(held: ReadonlySet<string>, wanted: Iterable<string>): string[] {
  return [...new Set(wanted)].filter((p) => !held.has(p) && !NARROWING_PERMISSIONS.has(p)).sort();
}
