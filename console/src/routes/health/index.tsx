import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, useLoad } from '../../ui/kit';

export function Health() {
  const { t } = useTranslation();
  const f = useFormat();
  const h = useLoad(() => api.get('/api/v1/health/detail'), []);
  const d = h.data;
  return (
    <Page title={t('health.title')}>
      <ErrorText error={h.error} />
      {d ? (
        <>
          <dl className="info">
            <dt>{t('health.status')}</dt>
            <dd>{t(`health.state.${d.status}`)}</dd>
            <dt>{t('health.version')}</dt>
            <dd translate="no">{d.version}</dd>
            <dt>{t('health.startedAt')}</dt>
            <dd translate="no">{f.dateTime(d.startedAt)}</dd>
            <dt>{t('health.uptime')}</dt>
            <dd translate="no">{f.number(d.uptimeSeconds)}</dd>
          </dl>
          <h2>{t('health.services')}</h2>
          <pre className="log" translate="no" tabIndex={0}>
            {JSON.stringify({ services: d.services, alarms: d.alarms, host: d.host }, null, 2)}
          </pre>
        </>
      ) : null}
    </Page>
  );
}
