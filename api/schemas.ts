/** Response schemas: they document the replies in /docs/json and serialize them (fields not listed are not sent). */

const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;

export const cellErrorSchema = {
  type: 'object', required: ['row', 'column', 'message'],
  properties: { row: { ...int, description: 'worksheet row, 1-based' }, column: { ...int, description: 'worksheet column, 1-based' }, message: str },
} as const;

const counts = (names: string[]) => ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, int])) });
const created = counts(['devices', 'channels', 'protocols', 'groups', 'commLines']);
const updated = counts(['devices', 'channels', 'protocols']);

export const importSummarySchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, rows: int, created, updated, errors: { type: 'array', items: cellErrorSchema } },
} as const;

export const importJobSchema = {
  type: 'object', required: ['id', 'projectId', 'state', 'progress', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    projectId: { type: 'string', format: 'uuid' },
    update: { type: 'boolean' },
    state: {
      type: 'string', enum: ['running', 'succeeded', 'invalid', 'failed'],
      description: 'invalid: bad cells, nothing imported (see errors and errorWorkbookUrl); failed: unreadable file or registry error',
    },
    progress: {
      type: 'object',
      properties: {
        phase: { type: 'string', enum: ['reading', 'checking', 'writing', 'marking', 'done'] },
        rowsRead: { ...int, description: 'data rows read and validated so far' },
        devicesWritten: int,
        devicesToWrite: { ...int, description: 'new devices to write, known once the file is read and checked' },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    result: { type: 'object', properties: { rows: int, created, updated } },
    errorCount: int,
    errors: { type: 'array', items: cellErrorSchema, description: 'the first 1,000 bad cells' },
    errorWorkbookUrl: str,
    error: { type: 'object', properties: { code: str, message: str } },
  },
} as const;

export const importInvalidSchema = {
  type: 'object',
  description: 'Bad cells, nothing imported (JSON unless the request accepts XLSX: then the marked workbook itself)',
  properties: {
    error: { type: 'object', properties: { code: str, message: str, field: str } },
    errors: { type: 'array', items: cellErrorSchema },
    errorWorkbook: { ...str, description: 'the marked workbook, base64' },
  },
} as const;
