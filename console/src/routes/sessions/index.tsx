import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Page, Table, useLoad } from '../../ui/kit';
import { ChangePasswordInline } from './password-inline';

/** Your open sessions (revocable) and the password change. */
export function Sessions() {
  const { t } = useTranslation();
  const f = useFormat();
  const { data, error, reload } = useLoad(() => api.get('/api/v1/auth/sessions'), []);
  const rows = (Array.isArray(data) ? data : ((data as { items?: unknown[] } | undefined)?.items ?? [])) as { id: string; ip?: string; userAgent?: string; createdAt?: string; current?: boolean }[];
  return (
    <Page title={t('sessions.title')}>
      <ErrorText error={error} />
      <Table
        caption={t('sessions.title')}
        rows={rows}
        rowKey={(r) => r.id}
        columns={[
          { key: 'ip', label: 'sessions.ip', cell: (r) => r.ip },
          { key: 'ua', label: 'sessions.userAgent', cell: (r) => r.userAgent },
          { key: 'at', label: 'sessions.createdAt', cell: (r) => f.dateTime(r.createdAt) },
          {
            key: 'revoke', label: 'table.actions',
            cell: (r) => (
              <button type="button" onClick={() => void api.delete('/api/v1/auth/sessions/{sessionId}', { path: { sessionId: r.id } }).then(reload)}>
                {t('sessions.revoke')}
              </button>
            ),
          },
        ]}
      />
      <ChangePasswordInline />
    </Page>
  );
}
