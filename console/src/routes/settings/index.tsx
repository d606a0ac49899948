/** Project control settings (relay disconnect approval, clock drift limits) and the SMTP settings. */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { Field, fieldError, Page, SaveFooter, useLoad } from '../../ui/kit';

export function ProjectSettings({ projectId }: { projectId: string }) {
  const { t } = useTranslation();
  const current = useLoad(() => api.get('/api/v1/projects/{projectId}/control-settings', { path: { projectId } }), [projectId]);
  const [approval, setApproval] = useState(false);
  const [maxDrift, setMaxDrift] = useState(0);
  const [minDrift, setMinDrift] = useState(0);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!current.data) return;
    setApproval(current.data.relayDisconnectApproval);
    setMaxDrift(current.data.clockMaxDriftSeconds);
    setMinDrift(current.data.clockMinDriftSeconds);
  }, [current.data]);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      await api.put('/api/v1/projects/{projectId}/control-settings', { path: { projectId }, body: { relayDisconnectApproval: approval, clockMaxDriftSeconds: maxDrift, clockMinDriftSeconds: minDrift } as never });
      setSaved(true);
      current.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title={t('settings.title')}>
      <form className="card" onSubmit={save}>
        <h2>{t('settings.control')}</h2>
        <label className="inline">
          <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.target.checked)} />
          {t('settings.relayApproval')}
        </label>
        <Field id="max-drift" label={t('settings.maxDrift')} error={fieldError(error, 'clockMaxDriftSeconds')}>
          <input id="max-drift" type="number" value={maxDrift} onChange={(e) => setMaxDrift(Number(e.target.value))} />
        </Field>
        <Field id="min-drift" label={t('settings.minDrift')} error={fieldError(error, 'clockMinDriftSeconds')}>
          <input id="min-drift" type="number" value={minDrift} onChange={(e) => setMinDrift(Number(e.target.value))} />
        </Field>
        <SaveFooter error={error ?? current.error} saved={saved} />
      </form>
    </Page>
  );
}
