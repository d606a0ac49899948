/** Collection tasks: the schedule in words, the last launch, run now and schedule on/off. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { Link } from '../../router';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, Pager, Table, useLoad } from '../../ui/kit';

const LIMIT = 50;

export function Tasks({ projectId }: { projectId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<unknown>();
  const list = useLoad(() => api.get('/api/v1/projects/{projectId}/tasks', { path: { projectId }, query: { limit: LIMIT, offset } }), [projectId, offset]);
  const act = (p: Promise<unknown>) => p.then(list.reload, setError);
  return (
    <Page title={t('tasks.title')}>
      <ErrorText error={error ?? list.error} />
      <Table
        caption={t('tasks.title')}
        rows={list.data?.items ?? []}
        rowKey={(task) => task.id}
        columns={[
          { key: 'name', label: 'fields.name', cell: (task) => task.name },
          { key: 'schedule', label: 'tasks.schedule', cell: (task) => task.schedule?.text ?? '—' },
          { key: 'enabled', label: 'tasks.scheduleOn', cell: (task) => (task.schedule?.enabled ? t('common.yes') : t('common.no')) },
          { key: 'last', label: 'tasks.lastLaunch', cell: (task) => (task.lastLaunch ? <Link to={`/p/${projectId}/launches/${task.lastLaunch.id}`}>{`${f.dateTime(task.lastLaunch.startedAt)} · ${task.lastLaunch.result ?? ''}`}</Link> : '—') },
          {
            key: 'actions', label: 'table.actions',
            cell: (task) => (
              <span className="row">
                <button type="button" onClick={() => act(api.post('/api/v1/projects/{projectId}/tasks/{taskId}/run', { path: { projectId, taskId: task.id } }))}>{t('tasks.runNow')}</button>
                {task.schedule ? (
                  <button type="button" onClick={() => act(api.put('/api/v1/projects/{projectId}/tasks/{taskId}/schedule', { path: { projectId, taskId: task.id }, body: { enabled: !task.schedule!.enabled } }))}>
                    {task.schedule.enabled ? t('tasks.disable') : t('tasks.enable')}
                  </button>
                ) : null}
              </span>
            ),
          },
        ]}
      />
      <Pager offset={offset} limit={LIMIT} total={list.data?.total ?? 0} onChange={setOffset} />
    </Page>
  );
}
