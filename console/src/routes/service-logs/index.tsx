import { useTranslation } from 'react-i18next';
import { api, type Schemas } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ListScreen } from '../../ui/list';

export function ServiceLogs() {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <ListScreen<Schemas['ServiceLog']>
      title="serviceLogs.title" path="/api/v1/service-logs" rowKey={(x) => String(x.id)}
      filters={[
        { key: 'level', label: 'events.level' }, { key: 'app', label: 'serviceLogs.app' },
        { key: 'from', label: 'data.from', kind: 'time' }, { key: 'to', label: 'data.to', kind: 'time' },
      ]}
      actions={(chosen) => (
        <button type="button" onClick={() => void api.download('/api/v1/service-logs/export', { query: chosen }, 'service-logs.csv')}>
          {t('serviceLogs.export')}
        </button>
      )}
      columns={[
        { key: 'at', label: 'events.at', cell: (x) => f.dateTime(x.at) },
        { key: 'app', label: 'serviceLogs.app', cell: (x) => x.app },
        { key: 'level', label: 'events.level', cell: (x) => x.level },
        { key: 'message', label: 'serviceLogs.message', cell: (x) => x.message },
      ]}
    />
  );
}
