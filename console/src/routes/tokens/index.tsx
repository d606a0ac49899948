/** M2M tokens: per machine account, list, create (the token is shown once) and revoke. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Field, Page, Table, useLoad } from '../../ui/kit';

export function Tokens() {
  const { t } = useTranslation();
  const f = useFormat();
  const accounts = useLoad(() => api.get('/api/v1/users', { query: { m2m: true, limit: 200 } }), []);
  const [userId, setUserId] = useState('');
  const chosen = userId || accounts.data?.items[0]?.id || '';
  const tokens = useLoad(() => (chosen ? api.get('/api/v1/users/{userId}/tokens', { path: { userId: chosen } }) : Promise.resolve(undefined)), [chosen]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState('');
  const [error, setError] = useState<unknown>();
  const rows = (Array.isArray(tokens.data) ? tokens.data : ((tokens.data as { items?: unknown[] } | undefined)?.items ?? [])) as { id: string; name: string; createdAt: string; lastUsedAt: string | null }[];
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const r = await api.post('/api/v1/users/{userId}/tokens', { path: { userId: chosen }, body: { name } });
      setCreated(r.token);
      setName('');
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = (tokenId: string) =>
    api.delete('/api/v1/users/{userId}/tokens/{tokenId}', { path: { userId: chosen, tokenId } }).then(tokens.reload, setError);
  return (
    <Page title={t('tokens.title')}>
      <Field id="token-user" label={t('tokens.account')}>
        <select id="token-user" value={chosen} onChange={(e) => setUserId(e.target.value)}>
          {(accounts.data?.items ?? []).map((u) => (
            <option key={u.id} value={u.id} translate="no">
              {u.username}
            </option>
          ))}
        </select>
      </Field>
      {accounts.data && accounts.data.items.length === 0 ? <p>{t('tokens.noAccounts')}</p> : null}
      <ErrorText error={error ?? accounts.error ?? tokens.error} />
      <Table
        caption={t('tokens.title')}
        rows={rows}
        rowKey={(x) => x.id}
        columns={[
          { key: 'name', label: 'fields.name', cell: (x) => x.name },
          { key: 'created', label: 'approvals.createdAt', cell: (x) => f.dateTime(x.createdAt) },
          { key: 'used', label: 'tokens.lastUsed', cell: (x) => f.dateTime(x.lastUsedAt) },
          { key: 'revoke', label: 'table.actions', cell: (x) => <button type="button" onClick={() => void revoke(x.id)}>{t('tokens.revoke')}</button> },
        ]}
      />
      {chosen ? (
        <form className="card" onSubmit={create}>
          <h2>{t('tokens.create')}</h2>
          <Field id="token-name" label={t('fields.name')}>
            <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} required />
          </Field>
          <button type="submit" className="primary">
            {t('tokens.create')}
          </button>
          {created ? (
            <p role="status">
              {t('tokens.shownOnce')} <code translate="no">{created}</code>
            </p>
          ) : null}
        </form>
      ) : null}
    </Page>
  );
}
