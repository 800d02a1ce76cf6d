// Errors as data: a catalogue of kinds with stable codes. The HTTP layer maps kinds to status codes.

export type ErrorKind =
  | 'bad_request' // 400: malformed input, validation failures
  | 'not_found' // 404
  | 'conflict' // 409/400 per Nomad: check-index mismatch etc. (Nomad answers 500 for some; see http/)
  | 'forbidden' // 403: ACL
  | 'no_leader' // 500: "No cluster leader"
  | 'unavailable' // 503
  | 'internal'; // 500

export class NomadError extends Error {
  readonly kind: ErrorKind;
  /** Where in the input the problem is: a field path ("Job.TaskGroups[0].Count") or file:line:col. */
  readonly where: string | undefined;
  constructor(kind: ErrorKind, message: string, where?: string) {
    super(message);
    this.kind = kind;
    this.where = where;
    this.name = 'NomadError';
  }
}

export function badRequest(message: string, where?: string): NomadError {
  return new NomadError('bad_request', message, where);
}

export function notFound(message: string): NomadError {
  return new NomadError('not_found', message);
}

/** Many problems reported at once, as Nomad's multierror does ("N errors occurred:\n\t* ..."). */
export class MultiError extends NomadError {
  readonly errors: string[];
  constructor(errors: string[], kind: ErrorKind = 'bad_request') {
    super(kind, formatMultiError(errors));
    this.errors = errors;
    this.name = 'MultiError';
  }
}

export function formatMultiError(errors: string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n${errors.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}
