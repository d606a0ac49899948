/** Devices: server-side paging, filters, sorting, column choice, group commands, XLSX import and export. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetQuery, type Schemas } from '../../api/client';
import { Link, useRoute } from '../../router';
import { useFormat } from '../../ui/format';
import { ErrorText, Field, Page, Pager, Table, useLoad, type Column } from '../../ui/kit';
import { Import } from './import';
import { AddDevice } from './add';

type Device = Schemas['Device'];
type Query = GetQuery<'/api/v1/projects/{projectId}/devices'>;
const LIMIT = 50;
const TYPES = ['CE207', 'CE307', 'CE208', 'CE308', 'CE510', 'UNIVERSAL', 'MBUS', 'LORAWAN'] as const;
const STATUSES = ['IN_USE', 'STOCK', 'REMOVED'] as const;
const SOURCES = ['MANUAL', 'IMPORTED', 'SELF_REGISTERED'] as const;
const COLUMNS_KEY = 'hes.deviceColumns';
const COMMANDS = ['relay-connect', 'relay-disconnect', 'relay-read', 'clock-read', 'clock-sync'] as const;

export function Devices({ projectId }: { projectId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { query: routeQuery } = useRoute();
  const [serial, setSerial] = useState('');
  const [type, setType] = useState('');
  const [status, setStatus] = useState(routeQuery.get('status') ?? '');
  const [source, setSource] = useState('');
  const [sort, setSort] = useState<{ key: string; order: 'asc' | 'desc' }>({ key: 'serialNumber', order: 'asc' });
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState(new Set<string>());
  const [outcome, setOutcome] = useState('');
  const [commandError, setCommandError] = useState<unknown>();
  const [shown, setShown] = useState<Set<string>>(() => new Set(JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') ?? ['serialNumber', 'type', 'status', 'source', 'enabled', 'addedAt']));

  const query: Query = {
    limit: LIMIT, offset, sort: sort.key as Query['sort'], order: sort.order,
    ...(serial ? { serialNumber: serial } : {}), ...(type ? { type: type as Query['type'] } : {}),
    ...(status ? { status: status as Query['status'] } : {}), ...(source ? { source: source as Query['source'] } : {}),
  };
  const list = useLoad(() => api.get('/api/v1/projects/{projectId}/devices', { path: { projectId }, query }), [projectId, JSON.stringify(query)]);
  const rows = list.data?.items ?? [];

  const all: Column<Device>[] = [
    { key: 'serialNumber', label: 'device.serialNumber', sortable: true, cell: (d) => <Link to={`/p/${projectId}/devices/${d.id}`}>{d.serialNumber}</Link> },
    { key: 'type', label: 'device.type', sortable: true, cell: (d) => d.type },
    { key: 'status', label: 'device.statusLabel', sortable: true, cell: (d) => t(`device.status.${d.status}`) },
    { key: 'source', label: 'device.sourceLabel', sortable: true, cell: (d) => t(`device.source.${d.source}`) },
    { key: 'enabled', label: 'device.enabled', cell: (d) => (d.enabled ? t('common.yes') : t('common.no')) },
    { key: 'addedAt', label: 'device.addedAt', sortable: true, cell: (d) => f.dateTime(d.addedAt) },
    { key: 'lastGaspAt', label: 'device.lastGaspAt', sortable: true, cell: (d) => f.dateTime(d.lastGaspAt) },
    { key: 'id', label: 'device.id', sortable: true, cell: (d) => d.id },
  ];
  const toggleColumn = (key: string) => {
    const next = new Set(shown);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setShown(next);
    localStorage.setItem(COLUMNS_KEY, JSON.stringify([...next]));
  };
  const filter = (set: (v: string) => void) => (v: string) => {
    set(v);
    setOffset(0);
  };
  const run = async (fn: (typeof COMMANDS)[number]) => {
    setCommandError(undefined);
    try {
      const r = await api.post('/api/v1/projects/{projectId}/commands/control', { path: { projectId }, body: { deviceIds: [...selected], function: fn } });
      setOutcome(r.approval === 'awaiting' ? t('commands.awaiting') : t('commands.started'));
    } catch (e) {
      setCommandError(e);
    }
  };

  return (
    <Page
      title={t('devices.title')}
      actions={
        <>
          <button type="button" onClick={() => void api.download('/api/v1/projects/{projectId}/devices/export', { path: { projectId } }, 'devices.xlsx')}>
            {t('devices.export')}
          </button>
        </>
      }
    >
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('devices.filters')}>
        <Field id="f-serial" label={t('device.serialNumber')}>
          <input id="f-serial" value={serial} onChange={(e) => filter(setSerial)(e.target.value)} placeholder={t('devices.serialPrefix')} />
        </Field>
        <Field id="f-type" label={t('device.type')}>
          <select id="f-type" value={type} onChange={(e) => filter(setType)(e.target.value)}>
            <option value="">{t('common.any')}</option>
            {TYPES.map((v) => (
              <option key={v} value={v} translate="no">
                {v}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-status" label={t('device.statusLabel')}>
          <select id="f-status" value={status} onChange={(e) => filter(setStatus)(e.target.value)}>
            <option value="">{t('common.any')}</option>
            {STATUSES.map((v) => (
              <option key={v} value={v}>
                {t(`device.status.${v}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-source" label={t('device.sourceLabel')}>
          <select id="f-source" value={source} onChange={(e) => filter(setSource)(e.target.value)}>
            <option value="">{t('common.any')}</option>
            {SOURCES.map((v) => (
              <option key={v} value={v}>
                {t(`device.source.${v}`)}
              </option>
            ))}
          </select>
        </Field>
        <details className="columns">
          <summary>{t('devices.columns')}</summary>
          <fieldset>
            <legend>{t('devices.columns')}</legend>
            {all.map((c) => (
              <label key={c.key} className="inline">
                <input type="checkbox" checked={shown.has(c.key)} onChange={() => toggleColumn(c.key)} />
                {t(c.label)}
              </label>
            ))}
          </fieldset>
        </details>
      </form>
      <div className="group-ops" role="group" aria-label={t('devices.groupOps')}>
        <span>{t('devices.selected', { count: selected.size })}</span>
        {COMMANDS.map((fn) => (
          <button key={fn} type="button" disabled={selected.size === 0} onClick={() => void run(fn)}>
            {t(`commands.fn.${fn}`)}
          </button>
        ))}
        {outcome ? <span role="status">{outcome}</span> : null}
        <ErrorText error={commandError} />
      </div>
      <ErrorText error={list.error} />
      <div aria-busy={list.loading}>
        <Table
          caption={t('devices.title')}
          rows={rows}
          rowKey={(d) => d.id}
          columns={all.filter((c) => shown.has(c.key))}
          sort={sort}
          onSort={(key) => setSort((s) => ({ key, order: s.key === key && s.order === 'asc' ? 'desc' : 'asc' }))}
          select={{
            selected,
            label: (d) => d.serialNumber,
            toggle: (id) => setSelected((s) => {
              const n = new Set(s);
              if (n.has(id)) n.delete(id);
              else n.add(id);
              return n;
            }),
            toggleAll: () => setSelected((s) => (rows.every((r) => s.has(r.id)) ? new Set() : new Set(rows.map((r) => r.id)))),
          }}
        />
      </div>
      <Pager offset={offset} limit={LIMIT} total={list.data?.total ?? 0} onChange={setOffset} />
      <AddDevice projectId={projectId} types={TYPES} statuses={STATUSES} onAdded={list.reload} />
      <Import projectId={projectId} onImported={list.reload} />
    </Page>
  );
}
