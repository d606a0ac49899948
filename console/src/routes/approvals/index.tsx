/** The approvals inbox: one-off tasks (relay disconnects) waiting for a second user. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, Table, useLoad } from '../../ui/kit';

export function Approvals({ projectId }: { projectId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [error, setError] = useState<unknown>();
  const [outcome, setOutcome] = useState('');
  const list = useLoad(() => api.get('/api/v1/projects/{projectId}/other-tasks', { path: { projectId }, query: { limit: 200 } }), [projectId]);
  const awaiting = (list.data?.items ?? []).filter((task) => task.approval === 'awaiting');
  const decide = async (taskId: string, verb: 'approve' | 'reject') => {
    setError(undefined);
    try {
      if (verb === 'approve') await api.post('/api/v1/projects/{projectId}/tasks/{taskId}/approve', { path: { projectId, taskId } });
      else await api.post('/api/v1/projects/{projectId}/tasks/{taskId}/reject', { path: { projectId, taskId } });
      setOutcome(t(verb === 'approve' ? 'approvals.approved' : 'approvals.rejected'));
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Page title={t('approvals.title')}>
      {outcome ? <p role="status">{outcome}</p> : null}
      <ErrorText error={error ?? list.error} />
      <Table
        caption={t('approvals.title')}
        rows={awaiting}
        rowKey={(task) => task.id}
        empty={t('approvals.none')}
        columns={[
          { key: 'name', label: 'fields.name', cell: (task) => task.name },
          { key: 'fn', label: 'commands.function', cell: (task) => (task.content.commands ?? []).map((c) => t(`commands.fn.${c.function}`, { defaultValue: c.function })).join(', ') },
          { key: 'devices', label: 'approvals.devices', cell: (task) => f.number(task.deviceIds.length) },
          { key: 'created', label: 'approvals.createdAt', cell: (task) => f.dateTime(task.createdAt) },
          {
            key: 'decide', label: 'table.actions',
            cell: (task) => (
              <span className="row">
                <button type="button" className="primary" onClick={() => void decide(task.id, 'approve')}>
                  {t('approvals.approve')}
                </button>
                <button type="button" onClick={() => void decide(task.id, 'reject')}>
                  {t('approvals.reject')}
                </button>
              </span>
            ),
          },
        ]}
      />
    </Page>
  );
}
