/** XLSX import as a background job: template, progress, and on bad cells the uploaded rows with those cells marked. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Schemas } from '../../api/client';
import { useFormat } from '../../ui/format';
import { ErrorText, Field } from '../../ui/kit';
import { readSheet } from './xlsx';

type Job = Schemas['ImportJob'];
type CellError = Schemas['CellError'];

function columnName(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

export function Import({ projectId, onImported }: { projectId: string; onImported: () => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [file, setFile] = useState<File | null>(null);
  const [update, setUpdate] = useState(false);
  const [job, setJob] = useState<Job>();
  const [sheet, setSheet] = useState<string[][]>();
  const [error, setError] = useState<unknown>();
  const start = async () => {
    if (!file) return;
    setError(undefined);
    setSheet(undefined);
    try {
      // The refused rows are shown with their values: the file is read before the outcome shows.
      const show = async (j: Job) => {
        if (j.state === 'invalid') setSheet(await readSheet(file));
        setJob(j);
      };
      let j = (await api.post('/api/v1/projects/{projectId}/devices/import-jobs', { path: { projectId }, raw: file, query: { update } })) as Job;
      await show(j);
      while (j.state === 'running') {
        await new Promise((r) => setTimeout(r, 500));
        j = (await api.get('/api/v1/projects/{projectId}/devices/import-jobs/{jobId}', { path: { projectId, jobId: j.id } })) as Job;
        await show(j);
      }
      if (j.state === 'succeeded') onImported();
    } catch (e) {
      setError(e);
    }
  };
  const errors = ((job as { errors?: CellError[] } | undefined)?.errors ?? []) as CellError[];
  const bad = new Map(errors.map((e) => [`${e.row}:${e.column}`, e.message]));
  const badRows = [...new Set(errors.map((e) => e.row))].sort((a, b) => a - b);
  const width = Math.max(12, ...errors.map((e) => e.column));
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">{t('import.title')}</h2>
      <div className="row">
        <button type="button" onClick={() => void api.download('/api/v1/projects/{projectId}/devices/import-template', { path: { projectId } }, 'devices-template.xlsx')}>
          {t('import.template')}
        </button>
        <Field id="import-file" label={t('import.file')}>
          <input id="import-file" type="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </Field>
        <label className="inline">
          <input type="checkbox" checked={update} onChange={(e) => setUpdate(e.target.checked)} />
          {t('import.update')}
        </label>
        <button type="button" className="primary" disabled={!file} onClick={() => void start()}>
          {t('import.start')}
        </button>
      </div>
      <ErrorText error={error} />
      {job ? (
        <p role="status" aria-live="polite">
          {t(`import.state.${job.state}`)} — {t(`import.phase.${job.progress.phase}`)}: {t('import.progress', { rows: f.number(job.progress.rowsRead), written: f.number(job.progress.devicesWritten), toWrite: f.number(job.progress.devicesToWrite) })}
        </p>
      ) : null}
      {job?.state === 'invalid' ? (
        <>
          <button type="button" onClick={() => void api.download('/api/v1/projects/{projectId}/devices/import-jobs/{jobId}/error-workbook', { path: { projectId, jobId: job.id } }, 'import-errors.xlsx')}>
            {t('import.errorWorkbook')}
          </button>
          <div className="table-wrap">
            <table className="sheet">
              <caption>{t('import.badCells', { count: errors.length })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('import.row')}</th>
                  {Array.from({ length: width }, (_, i) => (
                    <th key={i} scope="col" translate="no">
                      {columnName(i + 1)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {badRows.map((row) => (
                  <tr key={row}>
                    <th scope="row" translate="no">
                      {row}
                    </th>
                    {Array.from({ length: width }, (_, i) => {
                      const message = bad.get(`${row}:${i + 1}`);
                      return (
                        <td key={i} translate="no" className={message ? 'bad-cell' : undefined} aria-invalid={message ? true : undefined} title={message} data-cell={`${columnName(i + 1)}${row}`}>
                          {sheet?.[row - 1]?.[i] ?? ''}
                          {message ? <span className="cell-error">{message}</span> : null}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
