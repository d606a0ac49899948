import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../session';
import { ErrorText, Field } from '../../ui/kit';
import { LANGUAGES } from '../../i18n';

export function SignIn() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.signIn(username, password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="center" id="main">
      <form className="card narrow" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">{t('signIn.title')}</h1>
        {session.notice ? (
          <p className="notice" role="status">
            {t(session.notice)}
          </p>
        ) : null}
        <Field id="username" label={t('signIn.username')}>
          <input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </Field>
        <Field id="password" label={t('signIn.password')}>
          <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        <ErrorText error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('signIn.submit')}
        </button>
        <Field id="language-select" label={t('app.language')}>
          <select id="language-select" value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {t(`languages.${l}`)}
              </option>
            ))}
          </select>
        </Field>
      </form>
    </main>
  );
}
