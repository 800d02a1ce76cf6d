// Volume and plugin routes. Host volumes are configured on clients (host_volume blocks) and
// requested by groups (volume blocks of type "host"); CSI volumes and plugins, and host volumes
// created through the API, do not exist here: their routes answer 501 and say so.
import type { Router } from './router.js';
import type { Handler } from './api-context.js';
import { HttpError } from './exchange.js';

const CSI_MESSAGE = 'CSI volumes and plugins are not supported by this agent; mount host volumes instead (client host_volume blocks, group volume blocks with type = "host")';
const HOST_MESSAGE = 'host volumes are not created through the API here; they are configured in the client\'s host_volume blocks and shown on each node (HostVolumes)';

const unsupported: Handler = async (x) => {
  const type = x.query.get('type');
  throw new HttpError(501, type === 'host' || x.url.pathname.startsWith('/v1/volume/host') ? HOST_MESSAGE : CSI_MESSAGE);
};

export function addVolumeRoutes(r: Router<Handler>): void {
  const ALL = ['GET', 'PUT', 'POST', 'DELETE'];
  for (const path of ['/v1/volumes', '/v1/volumes/*rest', '/v1/volume/*rest', '/v1/plugins', '/v1/plugin/*rest']) r.add(ALL, path, unsupported);
}
