/** A read-only server-paged list of one API collection: the screens that only list share this. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Path } from '../api/client';
import { ErrorText, Field, Page, Pager, Table, useLoad, type Column } from './kit';

const LIMIT = 50;

/** A query parameter the user can set above the list: text, or a time (sent as ISO date-time). */
export interface Filter {
  key: string;
  /** i18n key of the label */
  label: string;
  kind?: 'text' | 'time';
}

interface Listed {
  items?: unknown[];
  total?: number;
}

export function ListScreen<T>({ title, path, params, columns, rowKey, query = {}, paged = true, actions, filters = [] }: {
  title: string;
  path: Path;
  params?: Record<string, string>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  query?: Record<string, unknown>;
  paged?: boolean;
  /** Buttons above the list; a function gets the filters chosen (an export of what is shown). */
  actions?: React.ReactNode | ((chosen: Record<string, string>) => React.ReactNode);
  filters?: Filter[];
}) {
  const { t } = useTranslation();
  const [offset, setOffset] = useState(0);
  const [values, setValues] = useState<Record<string, string>>({});
  const chosen = Object.fromEntries(
    filters.filter((f) => values[f.key]).map((f) => [f.key, f.kind === 'time' ? new Date(values[f.key]!).toISOString() : values[f.key]!]),
  );
  const q = paged ? { ...query, ...chosen, limit: LIMIT, offset } : { ...query, ...chosen };
  const { data, error } = useLoad(
    () => api.get(path, { path: params, query: q } as never) as Promise<Listed | unknown[]>,
    [path, JSON.stringify(params), JSON.stringify(q)],
  );
  const rows = (Array.isArray(data) ? data : (data?.items ?? [])) as T[];
  const total = Array.isArray(data) ? data.length : (data?.total ?? rows.length);
  return (
    <Page title={t(title)} actions={typeof actions === 'function' ? actions(chosen) : actions}>
      {filters.length ? (
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('devices.filters')}>
          {filters.map((f) => (
            <Field key={f.key} id={`filter-${f.key}`} label={t(f.label)}>
              <input
                id={`filter-${f.key}`} type={f.kind === 'time' ? 'datetime-local' : 'text'} value={values[f.key] ?? ''}
                onChange={(e) => {
                  setValues({ ...values, [f.key]: e.target.value });
                  setOffset(0);
                }}
              />
            </Field>
          ))}
        </form>
      ) : null}
      <ErrorText error={error} />
      <Table caption={t(title)} rows={rows} columns={columns} rowKey={rowKey} />
      {paged ? <Pager offset={offset} limit={LIMIT} total={total} onChange={setOffset} /> : null}
    </Page>
  );
}
