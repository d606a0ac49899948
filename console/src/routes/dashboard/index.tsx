/** Widgets, each a link into the list it summarises. */
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { Link } from '../../router';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, useLoad } from '../../ui/kit';

const STATUSES = ['IN_USE', 'STOCK', 'REMOVED'] as const;

export function Dashboard({ projectId }: { projectId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const path = { projectId };
  const devices = useLoad(async () => {
    const counts = await Promise.all(STATUSES.map((status) => api.get('/api/v1/projects/{projectId}/devices', { path, query: { status, limit: 1 } })));
    return counts.map((c, i) => ({ status: STATUSES[i]!, total: c.total }));
  }, [projectId]);
  const tasks = useLoad(() => api.get('/api/v1/projects/{projectId}/tasks', { path, query: { limit: 200 } }), [projectId]);
  const oneOff = useLoad(() => api.get('/api/v1/projects/{projectId}/other-tasks', { path, query: { limit: 200 } }), [projectId]);
  const cenc = useLoad(() => api.get('/api/v1/cenc/connections', { query: { projectId } }), [projectId]);
  const alarms = useLoad(() => api.get('/api/v1/events/general', { query: { limit: 5 } }), []);
  const completeness = useLoad(async () => {
    const groups = await api.get('/api/v1/projects/{projectId}/groups', { path, query: { isDefault: true, limit: 1 } });
    const group = groups.items[0];
    if (!group) return undefined;
    const from = new Date();
    from.setHours(0, 0, 0, 0);
    const s = await api.get('/api/v1/projects/{projectId}/groups/{groupId}/statistics', { path: { projectId, groupId: group.id }, query: { archive: 'profile-15', from: from.toISOString(), to: new Date().toISOString(), limit: 1 } });
    return s.archives[0]?.group.percent ?? undefined;
  }, [projectId]);

  const running = (tasks.data?.items ?? []).filter((task) => task.lastLaunch?.state === 'running' || task.lastLaunch?.state === 'pending');
  const awaiting = (oneOff.data?.items ?? []).filter((task) => task.approval === 'awaiting');
  const connections = Array.isArray(cenc.data) ? cenc.data.length : ((cenc.data as { items?: unknown[] } | undefined)?.items?.length ?? 0);
  return (
    <Page title={t('dashboard.title')}>
      <div className="widgets">
        <section className="widget" aria-labelledby="w-devices">
          <h2 id="w-devices">{t('dashboard.devicesByState')}</h2>
          <ErrorText error={devices.error} />
          <ul>
            {(devices.data ?? STATUSES.map((status) => ({ status, total: undefined }))).map((d) => (
              <li key={d.status}>
                <Link to={`/p/${projectId}/devices?status=${d.status}`}>
                  {t(`device.status.${d.status}`)}: <strong>{f.number(d.total)}</strong>
                </Link>
              </li>
            ))}
          </ul>
        </section>
        <section className="widget" aria-labelledby="w-complete">
          <h2 id="w-complete">{t('dashboard.completeness')}</h2>
          <Link to={`/p/${projectId}/tasks`}>
            <strong className="big">{completeness.data === undefined ? '—' : `${f.number(completeness.data)} %`}</strong>
          </Link>
        </section>
        <section className="widget" aria-labelledby="w-launches">
          <h2 id="w-launches">{t('dashboard.runningLaunches')}</h2>
          <ul>
            {running.length === 0 ? <li>{t('dashboard.none')}</li> : null}
            {running.map((task) => (
              <li key={task.id}>
                <Link to={`/p/${projectId}/launches/${task.lastLaunch!.id}`}>
                  <span translate="no">{task.name}</span>
                </Link>
              </li>
            ))}
          </ul>
          <Link to={`/p/${projectId}/tasks`}>{t('dashboard.allTasks')}</Link>
        </section>
        <section className="widget" aria-labelledby="w-alarms">
          <h2 id="w-alarms">{t('dashboard.latestEvents')}</h2>
          <ul>
            {(alarms.data?.items ?? []).map((e) => (
              <li key={e.id}>
                {f.dateTime(e.at)} <span translate="no">{e.code}</span>
              </li>
            ))}
          </ul>
          <Link to="/events">{t('dashboard.allEvents')}</Link>
        </section>
        <section className="widget" aria-labelledby="w-cenc">
          <h2 id="w-cenc">{t('dashboard.cencConnections')}</h2>
          <Link to="/cenc">
            <strong className="big">{f.number(connections)}</strong>
          </Link>
        </section>
        <section className="widget" aria-labelledby="w-approvals">
          <h2 id="w-approvals">{t('dashboard.awaitingApproval')}</h2>
          <Link to={`/p/${projectId}/approvals`}>
            <strong className="big">{f.number(awaiting.length)}</strong>
          </Link>
        </section>
      </div>
    </Page>
  );
}
