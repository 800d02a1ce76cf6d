// "host:port" and "[v6]:port" as peers name each other.

export function parseRpcAddress(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  const host = addr.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  if (i <= 0 || host.length === 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RangeError(`bad RPC address "${addr}" (want host:port)`);
  }
  return { host, port };
}

/** Nomad's RPC port, which an address without one means. */
export const DEFAULT_RPC_PORT = 4647;

/** "host" -> "host:4647"; "host:port" and "[v6]:port" as given; a bare IPv6 address gets brackets. */
export function withDefaultRpcPort(addr: string, port = DEFAULT_RPC_PORT): string {
  const a = addr.trim();
  if (a.startsWith('[')) return a.includes(']:') ? a : `${a}:${port}`;
  const colons = a.split(':').length - 1;
  if (colons === 0) return `${a}:${port}`;
  if (colons > 1) return `[${a}]:${port}`;
  return a;
}
