// On an agent that runs only a client, which /v1/client/ requests it answers itself and which
// go to the servers (who pass them to the node that runs the allocation, or to another region):
// those for an allocation or node that is not this client's, and those for another region.
import type { IncomingMessage } from 'node:http';
import type { ClientEndpoints } from '../rpc/client-endpoints.js';
import { NODE_HOP_HEADER } from './node-proxy.js';

export function clientRequestGoesToServers(req: IncomingMessage, client: ClientEndpoints | null, region: string): boolean {
  // A server sent it here for this node: answered here, whatever it names (no loop back).
  if (req.headers[NODE_HOP_HEADER] !== undefined) return false;
  const url = new URL(req.url ?? '/', 'http://agent');
  const asked = url.searchParams.get('region') ?? '';
  if (asked !== '' && asked !== region) return true;
  if (!client) return true;
  const [, , , what, first, second] = url.pathname.split('/');
  const allocId = what === 'fs' ? second : what === 'allocation' ? first : undefined;
  if (allocId !== undefined && allocId !== '') return !client.hasAlloc(decodeURIComponent(allocId));
  if (what === 'stats') {
    const nodeId = url.searchParams.get('node_id') ?? '';
    return nodeId !== '' && nodeId !== client.nodeId();
  }
  return false;
}
