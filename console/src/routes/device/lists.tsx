import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Pager, Table, useLoad } from '../../ui/kit';

interface Ids {
  projectId: string;
  deviceId: string;
}
const LIMIT = 50;
const show = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

export function Events({ projectId, deviceId }: Ids) {
  const { t } = useTranslation();
  const f = useFormat();
  const [offset, setOffset] = useState(0);
  const r = useLoad(() => api.get('/api/v1/projects/{projectId}/devices/{deviceId}/events', { path: { projectId, deviceId }, query: { limit: LIMIT, offset } }), [projectId, deviceId, offset]);
  type Row = { journal?: string; code?: string | number; severity?: string; deviceTime?: string; description?: string };
  const rows = (r.data?.items ?? []) as Row[];
  return (
    <>
      <ErrorText error={r.error} />
      <Table
        caption={t('device.tab.events')}
        rows={rows}
        rowKey={(e) => `${e.journal}|${e.code}|${e.deviceTime}`}
        columns={[
          { key: 'time', label: 'data.deviceTime', cell: (e) => f.dateTime(e.deviceTime) },
          { key: 'journal', label: 'events.journal', cell: (e) => e.journal },
          { key: 'code', label: 'events.code', cell: (e) => e.code },
          { key: 'severity', label: 'events.severity', cell: (e) => e.severity },
          { key: 'description', label: 'fields.description', cell: (e) => e.description },
        ]}
      />
      <Pager offset={offset} limit={LIMIT} total={r.data?.total ?? 0} onChange={setOffset} />
    </>
  );
}

export function States({ projectId, deviceId }: Ids) {
  const { t } = useTranslation();
  const f = useFormat();
  const [code, setCode] = useState<{ archive: string; code: string }>();
  const current = useLoad(() => api.get('/api/v1/projects/{projectId}/devices/{deviceId}/states', { path: { projectId, deviceId } }), [projectId, deviceId]);
  const history = useLoad(
    () => (code ? api.get('/api/v1/projects/{projectId}/devices/{deviceId}/states', { path: { projectId, deviceId }, query: { history: true, archive: code.archive as never, code: code.code, limit: 100 } }) : Promise.resolve(undefined)),
    [projectId, deviceId, code?.archive, code?.code],
  );
  const cols = [
    { key: 'archive', label: 'data.archive', cell: (s: { archive: string }) => s.archive },
    { key: 'code', label: 'data.code', cell: (s: { code: string }) => s.code },
    { key: 'value', label: 'data.value', cell: (s: { value?: unknown }) => show(s.value) },
    { key: 'changed', label: 'states.changedAt', cell: (s: { changedAt: string }) => f.dateTime(s.changedAt) },
  ];
  return (
    <>
      <ErrorText error={current.error} />
      <Table
        caption={t('device.tab.states')}
        rows={current.data?.items ?? []}
        rowKey={(s) => `${s.archive}|${s.code}`}
        columns={[
          ...cols,
          { key: 'history', label: 'states.history', cell: (s) => <button type="button" onClick={() => setCode({ archive: s.archive, code: s.code })}>{t('states.showHistory')}</button> },
        ]}
      />
      {code ? <Table caption={t('states.historyOf', { code: code.code })} rows={history.data?.items ?? []} rowKey={(s) => `${s.code}|${s.changedAt}`} columns={cols} /> : null}
    </>
  );
}

export function CommLines({ projectId, deviceId }: Ids) {
  const { t } = useTranslation();
  const r = useLoad(() => api.get('/api/v1/projects/{projectId}/comm-lines', { path: { projectId }, query: { deviceId } }), [projectId, deviceId]);
  return (
    <>
      <ErrorText error={r.error} />
      <Table
        caption={t('device.tab.commLines')}
        rows={r.data?.items ?? []}
        rowKey={(c) => c.id}
        columns={[
          { key: 'address', label: 'commLines.address', cell: (c) => show(c.address) },
          { key: 'channel', label: 'commLines.channel', cell: (c) => c.channelId },
          { key: 'protocol', label: 'commLines.protocol', cell: (c) => c.protocolId },
          { key: 'profile', label: 'commLines.profile', cell: (c) => `${c.profileId ?? ''} ${c.profileVersion ?? ''}` },
          { key: 'priority', label: 'commLines.priority', cell: (c) => c.priority },
          { key: 'enabled', label: 'device.enabled', cell: (c) => (c.enabled ? t('common.yes') : t('common.no')) },
        ]}
      />
    </>
  );
}
