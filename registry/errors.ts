/** One bad input among several, by its path (body.archives.current.obis). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Registry failures that the API turns into coded 4xx answers naming the field (and, when there are several, each one). */
export class RegistryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly field?: string,
    readonly problems?: FieldProblem[],
  ) {
    super(message);
  }
}

/** Maps PostgreSQL constraint errors (same codes on PGlite) to RegistryError; other errors pass through. */
export function fromPgError(e: unknown, fieldOf: (constraint: string) => string | undefined = () => undefined): unknown {
  const err = e as { code?: string; constraint?: string; detail?: string; message?: string };
  const field = err.constraint ? fieldOf(err.constraint) : undefined;
  switch (err.code) {
    case '23505':
      return new RegistryError('ALREADY_EXISTS', `${field ?? 'value'} already exists`, 409, field);
    case '23503':
      return new RegistryError('REFERENCE_NOT_FOUND', `${field ?? 'a referenced row'} does not exist in this project or is still in use`, 409, field);
    case '23514':
    case '22P02':
    case '22003':
      return new RegistryError('INVALID_VALUE', `${field ?? 'value'} is not valid: ${err.message ?? ''}`, 400, field);
    default:
      return e;
  }
}
