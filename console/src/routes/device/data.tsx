/** Measurements by archive, tag and range: a table and a time-series chart of the chosen tag. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { TimeChart } from '../../ui/chart';
import { useFormat } from '../../ui/format';
import { ErrorText, Field, Table, useLoad } from '../../ui/kit';

const DAY = 86_400_000;
const localInput = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

export function Data({ projectId, deviceId }: { projectId: string; deviceId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [archive, setArchive] = useState('profile-15');
  const [tag, setTag] = useState('');
  const [from, setFrom] = useState(() => localInput(Date.now() - 3 * DAY));
  const [to, setTo] = useState(() => localInput(Date.now() + DAY));
  const archives = useLoad(() => api.get('/api/v1/archives', { query: { kind: 'measurement', limit: 100 } }), []);
  const data = useLoad(
    () => api.get('/api/v1/projects/{projectId}/devices/{deviceId}/measurements', {
      path: { projectId, deviceId },
      query: { archive: archive as never, limit: 1000, from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    }),
    [projectId, deviceId, archive, from, to],
  );
  const items = data.data?.items ?? [];
  const series = (m: (typeof items)[number]) => m.tag ?? m.code;
  const tags = [...new Set(items.map(series))].sort();
  const chosen = tags.includes(tag) ? tag : (tags[0] ?? '');
  const shown = items.filter((m) => series(m) === chosen);
  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t('data.picker')}>
        <Field id="d-archive" label={t('data.archive')}>
          <select id="d-archive" value={archive} onChange={(e) => setArchive(e.target.value)}>
            {(archives.data?.items ?? [{ id: archive, name: archive }]).map((a) => (
              <option key={a.id} value={a.id} translate="no">
                {a.id}
              </option>
            ))}
          </select>
        </Field>
        <Field id="d-tag" label={t('data.tag')}>
          <select id="d-tag" value={chosen} onChange={(e) => setTag(e.target.value)}>
            {tags.map((v) => (
              <option key={v} value={v} translate="no">
                {v}
              </option>
            ))}
          </select>
        </Field>
        <Field id="d-from" label={t('data.from')}>
          <input id="d-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field id="d-to" label={t('data.to')}>
          <input id="d-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
        </Field>
      </form>
      <ErrorText error={data.error} />
      <div className="chart-box" aria-busy={data.loading}>
        {shown.length ? (
          <TimeChart label={t('data.chart', { tag: chosen })} unit={shown[0]!.value.unit} points={shown.map((m) => ({ t: Date.parse(m.deviceTime), v: m.value.value }))} />
        ) : (
          <p>{data.loading ? t('common.loading') : t('data.none')}</p>
        )}
      </div>
      <Table
        caption={t('data.table')}
        rows={shown.slice(0, 200)}
        rowKey={(m) => `${m.code}|${m.tariff}|${m.deviceTime}`}
        columns={[
          { key: 'time', label: 'data.deviceTime', cell: (m) => f.dateTime(m.deviceTime) },
          { key: 'code', label: 'data.code', cell: (m) => m.code },
          { key: 'value', label: 'data.value', cell: (m) => `${f.number(m.value.value)} ${m.value.unit}` },
          { key: 'quality', label: 'data.quality', cell: (m) => m.quality.join(', ') },
          { key: 'received', label: 'data.receivedAt', cell: (m) => f.dateTime(m.receivedAt) },
        ]}
      />
    </>
  );
}
