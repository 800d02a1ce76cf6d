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
