/** A read-only server-paged list of one API collection: the screens that only list share this. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Path } from '../api/client';
import { ErrorText, Page, Pager, Table, useLoad, type Column } from './kit';

const LIMIT = 50;

interface Listed {
  items?: unknown[];
  total?: number;
}

export function ListScreen<T>({ title, path, params, columns, rowKey, query = {}, paged = true, actions }: {
  title: string;
  path: Path;
  params?: Record<string, string>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  query?: Record<string, unknown>;
  paged?: boolean;
  actions?: React.ReactNode;
}) {
  const { t } = useTranslation();
  const [offset, setOffset] = useState(0);
  const q = paged ? { ...query, limit: LIMIT, offset } : query;
  const { data, error } = useLoad(
    () => api.get(path, { path: params, query: q } as never) as Promise<Listed | unknown[]>,
    [path, JSON.stringify(params), JSON.stringify(q)],
  );
  const rows = (Array.isArray(data) ? data : (data?.items ?? [])) as T[];
  const total = Array.isArray(data) ? data.length : (data?.total ?? rows.length);
  return (
    <Page title={t(title)} actions={actions}>
      <ErrorText error={error} />
      <Table caption={t(title)} rows={rows} columns={columns} rowKey={rowKey} />
      {paged ? <Pager offset={offset} limit={LIMIT} total={total} onChange={setOffset} /> : null}
    </Page>
  );
}
