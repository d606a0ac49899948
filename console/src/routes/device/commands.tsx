/** Commands of one device: send relay and clock commands, the history, and the exchange log of a command's launch. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Table, useLoad } from '../../ui/kit';

const FUNCTIONS = ['relay-connect', 'relay-disconnect', 'relay-read', 'clock-read', 'clock-sync'] as const;

export function Commands({ projectId, deviceId }: { projectId: string; deviceId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [outcome, setOutcome] = useState('');
  const [error, setError] = useState<unknown>();
  const [log, setLog] = useState<string>();
  const history = useLoad(() => api.get('/api/v1/projects/{projectId}/devices/{deviceId}/commands', { path: { projectId, deviceId }, query: { limit: 50 } }), [projectId, deviceId]);
  const send = async (fn: (typeof FUNCTIONS)[number]) => {
    setError(undefined);
    try {
      const r = await api.post('/api/v1/projects/{projectId}/commands/control', { path: { projectId }, body: { deviceIds: [deviceId], function: fn } });
      setOutcome(r.approval === 'awaiting' ? t('commands.awaiting') : t('commands.started'));
      history.reload();
    } catch (e) {
      setError(e);
    }
  };
  const showLog = async (launchId: string) => {
    setLog(await api.text('/api/v1/projects/{projectId}/launches/{launchId}/devices/{deviceId}/log', { path: { projectId, launchId, deviceId } }).catch(() => ''));
  };
  return (
    <>
      <div className="row" role="group" aria-label={t('commands.send')}>
        {FUNCTIONS.map((fn) => (
          <button key={fn} type="button" onClick={() => void send(fn)}>
            {t(`commands.fn.${fn}`)}
          </button>
        ))}
      </div>
      {outcome ? <p role="status">{outcome}</p> : null}
      <ErrorText error={error ?? history.error} />
      <Table
        caption={t('commands.history')}
        rows={history.data?.items ?? []}
        rowKey={(c) => c.id}
        columns={[
          { key: 'fn', label: 'commands.function', cell: (c) => c.function },
          { key: 'user', label: 'commands.user', cell: (c) => c.username },
          { key: 'started', label: 'commands.startedAt', cell: (c) => f.dateTime(c.startedAt) },
          { key: 'state', label: 'commands.state', cell: (c) => c.state },
          { key: 'result', label: 'commands.result', cell: (c) => (typeof c.result === 'object' ? JSON.stringify(c.result) : String(c.result ?? '')) },
          { key: 'log', label: 'commands.log', cell: (c) => (c.launchId ? <button type="button" onClick={() => void showLog(c.launchId!)}>{t('commands.showLog')}</button> : null) },
        ]}
      />
      {log !== undefined ? (
        <section aria-label={t('commands.log')}>
          <pre className="log" translate="no" tabIndex={0}>
            {log || t('commands.noLog')}
          </pre>
        </section>
      ) : null}
    </>
  );
}
