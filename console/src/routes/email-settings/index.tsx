/** The SMTP server the HES sends mail through (notifications, password mails); the password is write-only. */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { Field, fieldError, Page, SaveFooter, useLoad } from '../../ui/kit';

const SECURITY = ['auto', 'none', 'ssl', 'starttls'] as const;

export function EmailSettings() {
  const { t } = useTranslation();
  const current = useLoad(() => api.get('/api/v1/email-settings'), []);
  const [form, setForm] = useState({ senderEmail: '', senderName: '', username: '', smtpHost: '', smtpPort: 587, security: 'auto' as (typeof SECURITY)[number] });
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const d = current.data as Partial<typeof form> | undefined;
    if (d) setForm((f) => ({ ...f, ...Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null && v !== undefined)) }));
  }, [current.data]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: k === 'smtpPort' ? Number(e.target.value) : e.target.value });
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      const { senderEmail, senderName, username, smtpHost, smtpPort, security } = form;
      await api.put('/api/v1/email-settings', { body: { senderEmail, senderName, username, smtpHost, smtpPort, security, ...(password ? { password } : {}) } });
      setSaved(true);
      setPassword('');
    } catch (err) {
      setError(err);
    }
  };
  const text = (k: 'senderEmail' | 'senderName' | 'username' | 'smtpHost', label: string) => (
    <Field id={`smtp-${k}`} label={t(label)} error={fieldError(error, k)}>
      <input id={`smtp-${k}`} value={form[k]} onChange={set(k)} />
    </Field>
  );
  return (
    <Page title={t('email.title')}>
      <form className="card" onSubmit={save}>
        {text('smtpHost', 'email.host')}
        <Field id="smtp-port" label={t('email.port')} error={fieldError(error, 'smtpPort')}>
          <input id="smtp-port" type="number" value={form.smtpPort} onChange={set('smtpPort')} />
        </Field>
        <Field id="smtp-security" label={t('email.security')}>
          <select id="smtp-security" value={form.security} onChange={set('security')}>
            {SECURITY.map((s) => (
              <option key={s} value={s}>
                {t(`email.securityKind.${s}`)}
              </option>
            ))}
          </select>
        </Field>
        {text('senderEmail', 'email.senderEmail')}
        {text('senderName', 'email.senderName')}
        {text('username', 'email.username')}
        <Field id="smtp-password" label={t('email.password')}>
          <input id="smtp-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} placeholder={(current.data as { passwordSet?: boolean } | undefined)?.passwordSet ? t('email.passwordSet') : ''} />
        </Field>
        <SaveFooter error={error ?? current.error} saved={saved} />
      </form>
    </Page>
  );
}
