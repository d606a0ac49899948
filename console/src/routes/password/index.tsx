import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useSession } from '../../session';
import { ErrorText, Field, fieldError } from '../../ui/kit';

/** Change one's own password; `forced` at the first sign-in of an account that must change it. */
export function ChangePassword({ forced = false }: { forced?: boolean }) {
  const { t } = useTranslation();
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>();
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== repeat);
    if (next !== repeat) return;
    setError(undefined);
    try {
      await api.post('/api/v1/auth/password', { body: { currentPassword: current, newPassword: next } });
      // The change ends the other sessions; sign in again with the new password to be sure of this one.
      await session.signIn(session.me!.username, next);
      setDone(true);
    } catch (err) {
      setError(err);
    }
  };
  const newError = fieldError(error, 'newPassword');
  return (
    <main className="center" id="main">
      <form className="card narrow" onSubmit={submit} aria-labelledby="password-title">
        <h1 id="password-title">{t('password.title')}</h1>
        {forced ? <p className="notice">{t('password.forced')}</p> : null}
        {done ? <p role="status">{t('password.changed')}</p> : null}
        <Field id="current-password" label={t('password.current')} error={fieldError(error, 'currentPassword')}>
          <input id="current-password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
        </Field>
        <Field id="new-password" label={t('password.new')} error={newError}>
          <input id="new-password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required aria-invalid={newError ? true : undefined} />
        </Field>
        <Field id="repeat-password" label={t('password.repeat')} error={mismatch ? t('password.mismatch') : undefined}>
          <input id="repeat-password" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required />
        </Field>
        {newError ? null : <ErrorText error={error} />}
        <button type="submit" className="primary">
          {t('password.submit')}
        </button>
        {forced ? (
          <button type="button" onClick={() => void session.signOut()}>
            {t('app.signOut')}
          </button>
        ) : null}
      </form>
    </main>
  );
}
