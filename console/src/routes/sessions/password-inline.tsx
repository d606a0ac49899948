import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorText, Field, fieldError } from '../../ui/kit';

export function ChangePasswordInline() {
  const { t } = useTranslation();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api.post('/api/v1/auth/password', { body: { currentPassword: current, newPassword: next } });
      setDone(true);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>{t('password.title')}</h2>
      <Field id="cur-pw" label={t('password.current')}>
        <input id="cur-pw" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
      </Field>
      <Field id="new-pw" label={t('password.new')} error={fieldError(error, 'newPassword')}>
        <input id="new-pw" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required />
      </Field>
      <ErrorText error={error} />
      {done ? <p role="status">{t('password.changed')}</p> : null}
      <button type="submit">{t('password.submit')}</button>
    </form>
  );
}
