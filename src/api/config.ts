// Where and how to reach the agent: flags win over the environment, which wins over defaults.

export interface ApiConfig {
  /** Base URL such as "http://127.0.0.1:4646". */
  address: string;
  region: string;
  namespace: string;
  token: string;
  /** Bound on one non-streaming request, blocking queries add their wait to it. */
  requestTimeoutMs: number;
  /** For https:// addresses. */
  tls: ApiTlsConfig;
}

export interface ApiTlsConfig {
  /** A PEM file of CA certificates that sign the agent's certificate. */
  caCert: string;
  /** A directory of PEM CA certificates (used when caCert is not set). */
  caPath: string;
  /** A client certificate and its key, for agents that verify clients. */
  clientCert: string;
  clientKey: string;
  /** The name to check the agent's certificate for, instead of the address's host. */
  serverName: string;
  /** Do not verify the agent's certificate at all. */
  insecure: boolean;
}

export const DEFAULT_ADDRESS = 'http://127.0.0.1:4646';
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface ConfigOverrides {
  address?: string | undefined;
  region?: string | undefined;
  namespace?: string | undefined;
  token?: string | undefined;
  caCert?: string | undefined;
  caPath?: string | undefined;
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  tlsServerName?: string | undefined;
  tlsSkipVerify?: boolean | undefined;
}

export function resolveConfig(overrides: ConfigOverrides = {}, env: Record<string, string | undefined> = process.env): ApiConfig {
  const address = nonEmpty(overrides.address) ?? nonEmpty(env['NOMAD_ADDR']) ?? DEFAULT_ADDRESS;
  return {
    address: normalizeAddress(address),
    region: nonEmpty(overrides.region) ?? nonEmpty(env['NOMAD_REGION']) ?? '',
    namespace: nonEmpty(overrides.namespace) ?? nonEmpty(env['NOMAD_NAMESPACE']) ?? '',
    token: nonEmpty(overrides.token) ?? nonEmpty(env['NOMAD_TOKEN']) ?? '',
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    tls: {
      caCert: nonEmpty(overrides.caCert) ?? nonEmpty(env['NOMAD_CACERT']) ?? '',
      caPath: nonEmpty(overrides.caPath) ?? nonEmpty(env['NOMAD_CAPATH']) ?? '',
      clientCert: nonEmpty(overrides.clientCert) ?? nonEmpty(env['NOMAD_CLIENT_CERT']) ?? '',
      clientKey: nonEmpty(overrides.clientKey) ?? nonEmpty(env['NOMAD_CLIENT_KEY']) ?? '',
      serverName: nonEmpty(overrides.tlsServerName) ?? nonEmpty(env['NOMAD_TLS_SERVER_NAME']) ?? '',
      insecure: overrides.tlsSkipVerify ?? goBool(env['NOMAD_SKIP_VERIFY']),
    },
  };
}

/** Go's strconv.ParseBool truths, as Nomad reads NOMAD_SKIP_VERIFY. */
function goBool(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
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
