/** Roles and permissions as a grid: a row per permission, a column per role; a checkbox changes the role. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Schemas } from '../../api/client';
import { ErrorText, Page, useLoad } from '../../ui/kit';

export function Roles() {
  const { t } = useTranslation();
  const [error, setError] = useState<unknown>();
  const roles = useLoad(() => api.get('/api/v1/roles', { query: { limit: 100 } }), []);
  const permissions = useLoad(() => api.get('/api/v1/permissions'), []);
  const list = (roles.data?.items ?? []) as Schemas['Role'][];
  const perms = (Array.isArray(permissions.data) ? permissions.data : ((permissions.data as { items?: Schemas['Permission'][] } | undefined)?.items ?? [])) as Schemas['Permission'][];
  const toggle = async (role: Schemas['Role'], name: string) => {
    setError(undefined);
    const next = role.permissions.includes(name) ? role.permissions.filter((p) => p !== name) : [...role.permissions, name];
    try {
      await api.patch('/api/v1/roles/{roleId}', { path: { roleId: role.id }, body: { permissions: next as never } });
      roles.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Page title={t('roles.title')}>
      <ErrorText error={error ?? roles.error ?? permissions.error} />
      <div className="table-wrap">
        <table className="matrix">
          <caption>{t('roles.matrix')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('roles.permission')}</th>
              {list.map((r) => (
                <th key={r.id} scope="col" translate="no">
                  {r.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {perms.map((p) => (
              <tr key={p.name}>
                <th scope="row" translate="no" title={p.description}>
                  {p.name}
                </th>
                {list.map((r) => (
                  <td key={r.id} translate="no">
                    <input type="checkbox" aria-label={`${r.name}: ${p.name}`} checked={r.permissions.includes(p.name)} disabled={r.builtin} onChange={() => void toggle(r, p.name)} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Page>
  );
}
