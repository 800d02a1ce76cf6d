// Where and how to reach the agent: flags win over the environment, which wins over defaults.

export interface ApiConfig {
  /** Base URL such as "http://127.0.0.1:4646". */
  address: string;
  region: string;
  namespace: string;
  token: string;
  /** Bound on one non-streaming request, blocking queries add their wait to it. */
  requestTimeoutMs: number;
}

export const DEFAULT_ADDRESS = 'http://127.0.0.1:4646';
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface ConfigOverrides {
  address?: string | undefined;
  region?: string | undefined;
  namespace?: string | undefined;
  token?: string | undefined;
}

export function resolveConfig(overrides: ConfigOverrides = {}, env: Record<string, string | undefined> = process.env): ApiConfig {
  const address = nonEmpty(overrides.address) ?? nonEmpty(env['NOMAD_ADDR']) ?? DEFAULT_ADDRESS;
  return {
    address: normalizeAddress(address),
    region: nonEmpty(overrides.region) ?? nonEmpty(env['NOMAD_REGION']) ?? '',
    namespace: nonEmpty(overrides.namespace) ?? nonEmpty(env['NOMAD_NAMESPACE']) ?? '',
    token: nonEmpty(overrides.token) ?? nonEmpty(env['NOMAD_TOKEN']) ?? '',
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

/** Accepts "host:port" as Nomad does, defaulting the scheme to http; drops a trailing slash. */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) a = 'http://' + a;
  return a.replace(/\/+$/, '');
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v !== '' ? v : undefined;
}
