// Failures of an HTTP call as data: either the agent answered with a non-2xx status, or the
// request never got an answer. Both print the way Nomad's CLI prints them.

/** The agent answered with a status outside 2xx; `body` is its text (Nomad sends plain text). */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly body: string;
  constructor(statusCode: number, body: string) {
    super(`Unexpected response code: ${statusCode} (${body.trim()})`);
    this.statusCode = statusCode;
    this.body = body;
    this.name = 'ApiError';
  }
}

/** The request failed below HTTP (refused, reset, DNS, timeout). Message in Go's url.Error form. */
export class TransportError extends Error {
  readonly code: string;
  constructor(method: string, url: string, code: string, detail: string) {
    super(`${goMethod(method)} "${url}": ${detail}`);
    this.code = code;
    this.name = 'TransportError';
  }
}

function goMethod(method: string): string {
  const m = method.toUpperCase();
  return m.charAt(0) + m.slice(1).toLowerCase();
}

/** The text Go's net package gives for a failed dial, so scripts matching on it keep working. */
export function describeSocketError(host: string, port: string, err: NodeJS.ErrnoException): string {
  const addr = `${host}:${port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    case 'ETIMEDOUT':
      return `dial tcp ${addr}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    default:
      return err.message;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 404;
}
