// The address of a push sink (statsd_address, statsite_address, datadog_address): "host:port".

/** Splits "host:port"; null when the address has no usable port. */
export function parseHostPort(address: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] ?? m[2])!, port };
}

/** The config file's check of one sink address. */
export function checkSinkAddress(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return parseHostPort(value) ? null : `want "host:port", got ${JSON.stringify(value)}`;
}
