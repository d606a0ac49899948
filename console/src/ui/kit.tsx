/** Small shared pieces: loading state, API errors, pager, a labelled field, a list table. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useFormat } from './format';

/** Runs `load` when `deps` change; `reload()` runs it again. Keeps the last data while loading (no layout jump). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** The end of a settings form: the error (the save's or the load's), "saved" once saved, the save button. */
export function SaveFooter({ error, saved }: { error: unknown; saved: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      <ErrorText error={error} />
      {saved ? <p role="status">{t('settings.saved')}</p> : null}
      <button type="submit" className="primary">
        {t('settings.save')}
      </button>
    </>
  );
}

/** The API's message for an error, translated by its code where the catalogue knows it. */
export function ErrorText({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const text = error instanceof ApiError ? t(`errors.${error.code}`, { defaultValue: t('errors.generic', { status: error.status }) }) : t('errors.network');
  return (
    <p className="error" role="alert">
      {text}
      {error instanceof ApiError && error.message ? (
        <span className="detail" translate="no">
          {' '}({error.message})
        </span>
      ) : null}
    </p>
  );
}

/** The message for one field of a form, when the API named it. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const named = [error.field, ...error.problems.map((p) => p.field)];
  return named.some((f) => f && (f === field || f.endsWith('.' + field))) ? error.message : undefined;
}

export function Field({ label, children, error, id }: { label: string; children: ReactNode; error?: string; id: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <span className="error" id={id + '-error'} role="alert" translate="no">
          {error}
        </span>
      ) : null}
    </div>
  );
}

export function Pager({ offset, limit, total, onChange }: { offset: number; limit: number; total: number; onChange: (offset: number) => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <nav className="pager" aria-label={t('pager.label')}>
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        {t('pager.previous')}
      </button>
      <span aria-live="polite">
        {t('pager.range', { from: f.number(total === 0 ? 0 : offset + 1), to: f.number(Math.min(offset + limit, total)), total: f.number(total) })}
      </span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        {t('pager.next')}
      </button>
    </nav>
  );
}

export interface Column<T> {
  key: string;
  /** i18n key of the header */
  label: string;
  cell: (row: T) => ReactNode;
  sortable?: boolean;
}

/** A table of API rows; data cells are marked translate="no" (values, not console text). */
export function Table<T>({ rows, columns, rowKey, caption, sort, onSort, empty, select }: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  caption: string;
  sort?: { key: string; order: 'asc' | 'desc' };
  onSort?: (key: string) => void;
  empty?: string;
  /** Row selection; `label` names a row for its checkbox (data: the cell is marked translate="no"). */
  select?: { selected: Set<string>; toggle: (id: string) => void; toggleAll: () => void; label: (row: T) => string };
}) {
  const { t } = useTranslation();
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {select ? (
              <th scope="col">
                <input type="checkbox" aria-label={t('table.selectAll')} checked={rows.length > 0 && rows.every((r) => select.selected.has(rowKey(r)))} onChange={select.toggleAll} />
              </th>
            ) : null}
            {columns.map((c) => (
              <th key={c.key} scope="col" aria-sort={sort?.key === c.key ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                {c.sortable && onSort ? (
                  <button type="button" className="sort" onClick={() => onSort(c.key)}>
                    {t(c.label)}
                    {sort?.key === c.key ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                ) : (
                  t(c.label)
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length + (select ? 1 : 0)}>{empty ?? t('table.empty')}</td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={rowKey(r)}>
                {select ? (
                  <td translate="no">
                    <input type="checkbox" aria-label={t('table.selectRow', { id: select.label(r) })} checked={select.selected.has(rowKey(r))} onChange={() => select.toggle(rowKey(r))} />
                  </td>
                ) : null}
                {columns.map((c) => (
                  <td key={c.key} translate="no">
                    {c.cell(r)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Page({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {actions ? <div className="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}
