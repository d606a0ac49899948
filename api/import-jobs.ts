/**
 * Device import jobs: a large XLSX import runs in the background of the API process while the client
 * polls its progress (rows read, devices written) and finally reads the result or downloads the workbook
 * marking the bad cells. Jobs live in this process's memory for an hour after they finish: a restart
 * forgets them (the import itself is one transaction, so it either happened or not).
 */
import { randomUUID } from 'node:crypto';
import type { CellError, ImportProgress, ImportResult } from '../registry/device-xlsx.js';
import { RegistryError } from '../registry/errors.js';

export type JobState = 'running' | 'succeeded' | 'invalid' | 'failed';

export interface ImportJob {
  id: string;
  projectId: string;
  update: boolean;
  state: JobState;
  progress: ImportProgress;
  createdAt: string;
  finishedAt?: string;
  /** Counts of a succeeded import. */
  result?: Pick<ImportResult, 'rows' | 'created' | 'updated' | 'unchanged'>;
  /** Bad cells of an invalid file: the total and the first ERRORS_SHOWN of them. */
  errorCount?: number;
  errors?: CellError[];
  /** Why a failed job failed (unreadable file, registry error). */
  error?: { code: string; message: string };
  errorWorkbook?: Buffer;
}

export const ERRORS_SHOWN = 1000;
const KEEP_MS = 60 * 60 * 1000;

export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();
  private readonly running = new Set<Promise<void>>();

  /** Starts `work` as a job of the project; one running import per project (two would fight over the same names). */
  start(projectId: string, update: boolean, work: (job: ImportJob) => Promise<void>): ImportJob {
    for (const j of this.jobs.values()) {
      if (j.projectId === projectId && j.state === 'running') {
        throw new RegistryError('IMPORT_RUNNING', `import job ${j.id} of this project is still running`, 409);
      }
    }
    const job: ImportJob = {
      id: randomUUID(), projectId, update, state: 'running', createdAt: new Date().toISOString(),
      progress: { phase: 'reading', rowsRead: 0, devicesWritten: 0, devicesToWrite: 0 },
    };
    this.jobs.set(job.id, job);
    const run = work(job)
      .catch((e: unknown) => {
        job.state = 'failed';
        job.error = e instanceof RegistryError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the import stopped on a registry error; nothing was imported' };
      })
      .finally(() => {
        job.finishedAt = new Date().toISOString();
        this.running.delete(run);
        setTimeout(() => this.jobs.delete(job.id), KEEP_MS).unref();
      });
    this.running.add(run);
    return job;
  }

  /** The job when it belongs to the project; else 404 (a job id of another project is not disclosed). */
  get(projectId: string, id: string): ImportJob {
    const job = this.jobs.get(id);
    if (!job || job.projectId !== projectId) throw new RegistryError('NOT_FOUND', 'import job not found', 404);
    return job;
  }

  /** Waits for running jobs (the API closes its registry only after them). */
  async settle(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
