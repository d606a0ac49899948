/** One launch with live progress (polled while it runs) and the per-device results. */
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { Link } from '../../router';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, Table, useLoad } from '../../ui/kit';

export function Launch({ projectId, launchId }: { projectId: string; launchId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const path = { projectId, launchId };
  const launch = useLoad(() => api.get('/api/v1/projects/{projectId}/launches/{launchId}', { path }), [projectId, launchId]);
  const devices = useLoad(() => api.get('/api/v1/projects/{projectId}/launches/{launchId}/devices', { path, query: { limit: 200 } }), [projectId, launchId]);
  const l = launch.data;
  const running = l?.state !== 'finished';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      launch.reload();
      devices.reload();
    }, 2000);
    return () => clearInterval(timer);
  }, [running, launch.reload, devices.reload]);
  const progress = (l as { progress?: { done?: number; total?: number } } | undefined)?.progress;
  return (
    <Page title={t('launch.title', { name: l?.taskName ?? '' })}>
      <ErrorText error={launch.error} />
      {l ? (
        <dl className="info">
          <dt>{t('launch.state')}</dt>
          <dd translate="no">{l.state}</dd>
          <dt>{t('launch.result')}</dt>
          <dd translate="no">{l.result}</dd>
          <dt>{t('launch.createdAt')}</dt>
          <dd translate="no">{f.dateTime(l.createdAt)}</dd>
        </dl>
      ) : null}
      {progress?.total ? <progress max={progress.total} value={progress.done ?? 0} aria-label={t('launch.progress')} /> : null}
      <Table
        caption={t('launch.devices')}
        rows={devices.data?.items ?? []}
        rowKey={(d) => d.deviceId}
        columns={[
          { key: 'device', label: 'device.serialNumber', cell: (d) => <Link to={`/p/${projectId}/devices/${d.deviceId}`}>{(d as { serialNumber?: string }).serialNumber ?? d.deviceId}</Link> },
          { key: 'result', label: 'launch.result', cell: (d) => (d as { result?: string }).result },
          { key: 'note', label: 'launch.note', cell: (d) => (d as { note?: string }).note },
        ]}
      />
    </Page>
  );
}
