/** CENC: meters connected now, and the listening ports bound to projects. */
import { useTranslation } from 'react-i18next';
import { api, type Schemas } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, Table, useLoad } from '../../ui/kit';

const itemsOf = <T,>(d: unknown): T[] => (Array.isArray(d) ? d : ((d as { items?: T[] } | undefined)?.items ?? [])) as T[];

export function Cenc() {
  const { t } = useTranslation();
  const f = useFormat();
  const connections = useLoad(() => api.get('/api/v1/cenc/connections'), []);
  const bindings = useLoad(() => api.get('/api/v1/port-bindings'), []);
  return (
    <Page title={t('cenc.title')}>
      <ErrorText error={connections.error ?? bindings.error} />
      <Table
        caption={t('cenc.connections')}
        rows={itemsOf<Schemas['CencConnection']>(connections.data)}
        rowKey={(c) => c.deviceId ?? c.remote}
        columns={[
          { key: 'serial', label: 'device.serialNumber', cell: (c) => c.serialNumber },
          { key: 'remote', label: 'cenc.remote', cell: (c) => c.remote },
          { key: 'port', label: 'cenc.port', cell: (c) => c.port },
          { key: 'since', label: 'cenc.since', cell: (c) => f.dateTime(c.since) },
        ]}
      />
      <Table
        caption={t('cenc.bindings')}
        rows={itemsOf<Schemas['PortBinding']>(bindings.data)}
        rowKey={(b) => String(b.port)}
        columns={[
          { key: 'port', label: 'cenc.port', cell: (b) => b.port },
          { key: 'project', label: 'app.project', cell: (b) => b.projectId },
          { key: 'at', label: 'approvals.createdAt', cell: (b) => f.dateTime(b.createdAt) },
        ]}
      />
    </Page>
  );
}
