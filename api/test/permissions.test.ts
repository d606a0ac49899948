/**
 * The permission matrix: every API route × every default role → allowed or refused, as seed 003 table 1
 * (and the special roles under it) says. The expectations are written here by hand from the table, not
 * derived from the code's role definitions; every route of the OpenAPI document must appear below.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ENGINES } from '../../registry/testing.js';
import { startHarness, type Harness } from './harness.js';

const A = 'Administrator', O = 'Operator', U = 'User', P = 'Project Manager', M = 'M2M', S = 'Subscriber';
const anyone = [A, O, U, P, M, S];
const adminOnly = [A];
const readDevices = [A, O, U, P, M]; // device list: Admin/Operator/User (Read), PM as admin, M2M: Read.Devices
const manageDevices = [A, O, P]; // device list, groups, channels, protocols: Read/Write for Admin and Operator
const cenc = [A, P]; // CENC and UNB base stations: Administrator only (PM is administrator without the admin panel)
const events = [A, O, P]; // Host / events: Admin and Operator RWV; User not accessed
const projectsRead = [A, O, U, P];
const tasksRead = [A, O, P]; // collection and control: Operator Read
const tasksWrite = [A, P];
const relayControl = [A, O, P, M];

const crud = (path: string, read: string[], write: string[]) => ({
  [`GET ${path}`]: read, [`POST ${path}`]: write,
  [`GET ${path}/{id}`]: read, [`PATCH ${path}/{id}`]: write, [`DELETE ${path}/{id}`]: write,
});
const p = '/api/v1/projects/{projectId}';

const expected: Record<string, string[]> = {
  'POST /api/v1/auth/login': anyone, 'POST /api/v1/auth/refresh': anyone, 'GET /api/v1/auth/me': anyone,
  'GET /api/v1/auth/sessions': anyone, 'DELETE /api/v1/auth/sessions/{sessionId}': anyone, 'POST /api/v1/auth/password': anyone,
  'POST /api/v1/auth/logout': anyone,
  // Admin panel / users, roles: administrator only.
  'GET /api/v1/users': adminOnly, 'POST /api/v1/users': adminOnly, 'GET /api/v1/users/{userId}': adminOnly,
  'PATCH /api/v1/users/{userId}': adminOnly, 'DELETE /api/v1/users/{userId}': adminOnly, 'POST /api/v1/users/{userId}/password': adminOnly,
  'GET /api/v1/users/{userId}/sessions': adminOnly, 'DELETE /api/v1/users/{userId}/sessions/{sessionId}': adminOnly,
  'GET /api/v1/users/{userId}/tokens': adminOnly, 'POST /api/v1/users/{userId}/tokens': adminOnly, 'DELETE /api/v1/users/{userId}/tokens/{tokenId}': adminOnly,
  'GET /api/v1/permissions': adminOnly, 'GET /api/v1/roles': adminOnly, 'POST /api/v1/roles': adminOnly, 'GET /api/v1/roles/{roleId}': adminOnly,
  'PATCH /api/v1/roles/{roleId}': adminOnly, 'DELETE /api/v1/roles/{roleId}': adminOnly,
  // Admin panel / projects: management by the administrator; members read their projects.
  'GET /api/v1/projects': projectsRead, 'POST /api/v1/projects': adminOnly, 'GET /api/v1/projects/{projectId}': projectsRead,
  'PATCH /api/v1/projects/{projectId}': adminOnly, 'DELETE /api/v1/projects/{projectId}': adminOnly,
  'GET /api/v1/projects/{projectId}/members': projectsRead, 'PUT /api/v1/projects/{projectId}/members/{userId}': adminOnly,
  'DELETE /api/v1/projects/{projectId}/members/{userId}': adminOnly,
  // Admin panel / archives: Admin and Operator RWV; PM reads (needs them for tasks) but has no admin panel.
  'GET /api/v1/archives': [A, O, P], 'GET /api/v1/archives/{archiveId}': [A, O, P], 'PATCH /api/v1/archives/{archiveId}': [A, O],
  // Admin panel / mail server: administrator only. Logs: Admin RWV, Operator Read/View.
  'GET /api/v1/email-settings': adminOnly, 'PUT /api/v1/email-settings': adminOnly,
  'GET /api/v1/service-logs': [A, O], 'GET /api/v1/service-logs/export': [A, O],
  'GET /api/v1/events/general': events, 'GET /api/v1/events/security': events,
  // Device profiles: installation-wide configuration; every device reader reads them, Write/Delete.HesConfig change them.
  'GET /api/v1/device-profiles': readDevices, 'GET /api/v1/device-profiles/{profileId}': readDevices, 'GET /api/v1/device-profiles/schema': readDevices,
  'GET /api/v1/device-profiles/{profileId}/versions': readDevices, 'GET /api/v1/device-profiles/{profileId}/versions/{version}': readDevices,
  'POST /api/v1/device-profiles': [A, O, P], 'POST /api/v1/device-profiles/{profileId}/versions': [A, O, P],
  'POST /api/v1/device-profiles/{profileId}/copy': [A, O, P], 'DELETE /api/v1/device-profiles/{profileId}': [A, P],
  'GET /api/v1/port-bindings': cenc, 'PUT /api/v1/port-bindings/{port}': cenc, 'DELETE /api/v1/port-bindings/{port}': cenc,
  'GET /api/v1/cenc/connections': cenc,
  ...crud(`${p}/devices`, readDevices, manageDevices),
  ...crud(`${p}/groups`, readDevices, manageDevices),
  ...crud(`${p}/channels`, manageDevices, manageDevices),
  ...crud(`${p}/protocols`, manageDevices, manageDevices),
  ...crud(`${p}/comm-lines`, manageDevices, manageDevices),
  ...crud(`${p}/security-keys`, manageDevices, manageDevices),
  ...crud(`${p}/amr-agents`, cenc, cenc),
  [`GET ${p}/devices/import-template`]: readDevices, [`POST ${p}/devices/import`]: manageDevices,
  [`POST ${p}/devices/import-jobs`]: manageDevices, [`GET ${p}/devices/import-jobs/{jobId}`]: manageDevices,
  [`GET ${p}/devices/import-jobs/{jobId}/error-workbook`]: manageDevices,
  [`GET ${p}/devices/export`]: manageDevices, [`GET ${p}/config`]: manageDevices, [`POST ${p}/config`]: manageDevices,
  // Collection and control / tasks and other tasks: Administrator Read/Write/Delete, Operator Read (PM as admin).
  [`GET ${p}/tasks`]: tasksRead, [`POST ${p}/tasks`]: tasksWrite, [`GET ${p}/tasks/{taskId}`]: tasksRead,
  [`PATCH ${p}/tasks/{taskId}`]: tasksWrite, [`DELETE ${p}/tasks/{taskId}`]: tasksWrite, [`POST ${p}/tasks/{taskId}/copy`]: tasksWrite,
  [`PUT ${p}/tasks/{taskId}/schedule`]: tasksWrite, [`POST ${p}/tasks/{taskId}/run`]: tasksWrite,
  [`GET ${p}/tasks/{taskId}/launches`]: tasksRead, [`GET ${p}/launches/{launchId}`]: tasksRead, [`POST ${p}/launches/{launchId}/cancel`]: tasksWrite,
  [`GET ${p}/launches/{launchId}/devices`]: tasksRead, [`GET ${p}/launches/{launchId}/devices/{deviceId}/log`]: tasksRead,
  [`GET ${p}/other-tasks`]: tasksRead, [`POST ${p}/other-tasks`]: tasksWrite,
  [`POST ${p}/schedule-preview`]: tasksRead,
  // Devices / relay control: Administrator and Operator; M2M by Execute.ESB.Device.Control. Tariffs and limits: Operator only views.
  [`POST ${p}/commands/control`]: relayControl, [`POST ${p}/tasks/{taskId}/approve`]: relayControl, [`POST ${p}/tasks/{taskId}/reject`]: relayControl,
  [`POST ${p}/commands/configure`]: tasksWrite,
  // Devices / device data (command history): View for every role of table 1.
  [`GET ${p}/devices/{deviceId}/commands`]: readDevices,
  // Device data / archives: Read.Datastore (every role of table 1 that reads archives).
  [`GET ${p}/devices/{deviceId}/measurements`]: readDevices, [`GET ${p}/devices/{deviceId}/events`]: readDevices,
  [`GET ${p}/devices/{deviceId}/states`]: readDevices, [`GET ${p}/devices/{deviceId}/outages`]: readDevices,
  [`GET ${p}/groups/{groupId}/data`]: readDevices, [`GET ${p}/groups/{groupId}/statistics`]: readDevices,
  [`GET ${p}/control-settings`]: tasksRead, [`PUT ${p}/control-settings`]: adminOnly,
  // Wireless M-Bus: gateways post as M2M users (Execute.ESB.Device.Read); installers list the meters heard.
  [`POST ${p}/wmbus/telegrams`]: relayControl, [`GET ${p}/wmbus/unknown-meters`]: readDevices,
  // Notifications (our addition, docs/notifications.md): set up like tasks — Administrator and PM, operators read what was sent.
  ...crud(`${p}/notification-rules`, tasksRead, tasksWrite),
  [`GET ${p}/notifications`]: tasksRead, [`POST ${p}/notifications/{notificationId}/replay`]: tasksWrite,
  // LoRaWAN: ChirpStack's HTTP integration posts as an M2M user (Execute.ESB.Device.Read); installers list the devices heard.
  [`POST ${p}/lorawan/chirpstack`]: relayControl, [`GET ${p}/lorawan/unknown-devices`]: readDevices,
  // UNB base stations (Host, seed 003 table 1): Administrator only (PM as administrator without the admin panel);
  // a UNB meter's downlink tasks: listed with the devices, queued and cancelled with the relay commands.
  'GET /api/v1/unb/base-stations': cenc, 'POST /api/v1/unb/base-stations': cenc, 'GET /api/v1/unb/base-stations/{stationId}': cenc,
  'PATCH /api/v1/unb/base-stations/{stationId}': cenc, 'DELETE /api/v1/unb/base-stations/{stationId}': cenc, 'POST /api/v1/unb/base-stations/{stationId}/token': cenc,
  'POST /api/v1/unb/base-stations/delete': cenc, 'GET /api/v1/unb/base-stations/{stationId}/downlink-tasks': cenc, 'GET /api/v1/unb/unknown-devices': cenc,
  [`GET ${p}/devices/{deviceId}/downlink-tasks`]: readDevices, [`POST ${p}/devices/{deviceId}/downlink-tasks`]: relayControl,
  [`POST ${p}/devices/{deviceId}/downlink-tasks/{taskId}/cancel`]: relayControl, [`DELETE ${p}/devices/{deviceId}/downlink-tasks/{taskId}`]: relayControl,
  // Devices / firmware update (seed 003 table 1): Administrator and Operator Read/Write/View (PM as admin); User not accessed.
  ...Object.fromEntries([
    'GET images', 'POST images', 'GET images/{imageId}', 'GET images/{imageId}/content', 'DELETE images/{imageId}',
    'GET updates', 'POST updates', 'POST updates/start', 'POST updates/stop', 'GET updates/statistics', 'GET updates/{updateId}', 'DELETE updates/{updateId}',
    'GET history', 'GET campaigns', 'POST campaigns', 'GET campaigns/{campaignId}',
    'POST campaigns/{campaignId}/pause', 'POST campaigns/{campaignId}/resume', 'POST campaigns/{campaignId}/cancel',
  ].map((r) => [r.replace(' ', ` ${p}/firmware/`), manageDevices])),
  // VEE (our addition, docs/vee.md): rules are configuration (Read/Write.HesConfig); readings, histories and failures are
  // read like archives (Read.Datastore); edits, estimation and re-validation change stored data (Write.Datastore: Administrator, PM).
  [`GET ${p}/vee/settings`]: projectsRead, [`PUT ${p}/vee/settings`]: manageDevices,
  [`GET ${p}/devices/{deviceId}/vee/readings`]: readDevices, [`GET ${p}/devices/{deviceId}/vee/history`]: readDevices,
  [`POST ${p}/devices/{deviceId}/vee/edits`]: tasksWrite, [`POST ${p}/vee/estimate`]: tasksWrite, [`POST ${p}/vee/revalidate`]: tasksWrite,
  [`GET ${p}/vee/failures`]: readDevices,
  // Analytics (our addition, docs/analytics.md): read like archives (Read.Datastore).
  ...Object.fromEntries(['completeness', 'communication', 'connectivity', 'load-curve', 'consumption', 'balance', 'outages', 'validation'].map((r) => [`GET ${p}/analytics/${r}`, readDevices])),
  // Host information and state (seed 003 §2.2.17): HesConfig, which Administrator, Operator and User read (PM as admin).
  'GET /api/v1/health/detail': projectsRead,
  // IEC 61968-100: any signed-in caller reaches the endpoint; each verb's permission (Execute.ESB.Device.Read /
  // .Control) is checked per message and answered as a ResponseMessage FAILED (api/test/cim-envelope.test.ts).
  'POST /api/v1/cim': anyone,
};

/** Route keys of the OpenAPI document, the item id parameter written as {id} for the generic resources. */
function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/^(\/api\/v1\/projects\/\{projectId\}\/[a-z-]+)\/\{(deviceId|groupId|channelId|protocolId|commLineId|keyId|agentId|ruleId)\}$/, '$1/{id}')}`;
}

for (const engine of ENGINES) {
  describe(`permission matrix (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(engine);
    });
    after(() => h.close());

    it('covers every route of the API and refuses or admits each default role as table 1 says', async () => {
      const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
      const routes: { method: string; path: string; key: string }[] = [];
      for (const [path, ops] of Object.entries(doc.paths)) {
        if (!path.startsWith('/api/v1/')) continue;
        for (const method of Object.keys(ops)) routes.push({ method: method.toUpperCase(), path, key: routeKey(method, path) });
      }
      assert.deepEqual(routes.map((r) => r.key).sort(), Object.keys(expected).sort(), 'the matrix must list exactly the API routes');
      // Logging out revokes the caller's session, and deleting the project removes it: run those last.
      const last = (r: { key: string }) => (r.key.includes('logout') ? 2 : r.key === 'DELETE /api/v1/projects/{projectId}' ? 1 : 0);
      routes.sort((a, b) => last(a) - last(b));
      const mismatches: string[] = [];
      for (const r of routes) {
        const url = r.path
          .replace('{projectId}', h.projectId).replace('{port}', '5000').replace('{archiveId}', 'end-of-day').replace('{profileId}', 'DL_CE_207').replace('{version}', '1')
          .replace(/\{[A-Za-z]+\}/g, () => randomUUID());
        const withBody = r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH';
        for (const role of [A, O, U, P, M, S]) {
          const res = await h.call(role, { method: r.method as 'GET', url, ...(withBody ? { payload: {} } : {}) });
          const refused = res.statusCode === 403 && res.json().error.code === 'FORBIDDEN';
          assert.notEqual(res.statusCode, 401, `${r.key} as ${role}: token rejected`);
          const allowed = expected[r.key].includes(role);
          if (allowed === refused) mismatches.push(`${r.key} as ${role}: expected ${allowed ? 'allowed' : 'refused'}, got ${res.statusCode} ${res.body.slice(0, 120)}`);
        }
        if (!r.key.startsWith('POST /api/v1/auth/login') && !r.key.startsWith('POST /api/v1/auth/refresh')) {
          const anon = await h.call(null, { method: r.method as 'GET', url, ...(withBody ? { payload: {} } : {}) });
          if (anon.statusCode !== 401) mismatches.push(`${r.key} without a token: expected 401, got ${anon.statusCode}`);
        }
      }
      assert.deepEqual(mismatches, []);
    });
  });
}
