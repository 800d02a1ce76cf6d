// Volume and plugin routes. Host volumes are configured on clients (host_volume blocks) and
// requested by groups (volume blocks of type "host"); CSI volumes and plugins, and host volumes
// created through the API, do not exist here: their routes answer 501 and say so.
import type { RouteTable } from './route-table.js';
import { namespaceNeed, type Need } from '../acl/need.js';
import type { Handler } from './api-context.js';
import { HttpError } from './exchange.js';

const CSI_MESSAGE = 'CSI volumes and plugins are not supported by this agent; mount host volumes instead (client host_volume blocks, group volume blocks with type = "host")';
const HOST_MESSAGE = 'host volumes are not created through the API here; they are configured in the client\'s host_volume blocks and shown on each node (HostVolumes)';

const unsupported: Handler = async (x) => {
  const type = x.query.get('type');
  throw new HttpError(501, type === 'host' || x.url.pathname.startsWith('/v1/volume/host') ? HOST_MESSAGE : CSI_MESSAGE);
};

/** The needs Nomad declares for these routes, so that ACLs answer first as they would there. */
const LIST_VOLUMES = namespaceNeed('csi-list-volume');
const READ_VOLUME = namespaceNeed('csi-read-volume');
const WRITE_VOLUME = namespaceNeed('csi-write-volume');
const LIST_PLUGINS: Need = { kind: 'plugin', level: 'list' };
const READ_PLUGIN: Need = { kind: 'plugin', level: 'read' };

export function addVolumeRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST', 'DELETE'];
  r.add(['GET'], '/v1/volumes', LIST_VOLUMES, unsupported);
  r.add(['GET'], '/v1/volumes/*rest', LIST_VOLUMES, unsupported);
  r.add(W, '/v1/volumes/*rest', WRITE_VOLUME, unsupported);
  r.add(['GET'], '/v1/volume/*rest', READ_VOLUME, unsupported);
  r.add(W, '/v1/volume/*rest', WRITE_VOLUME, unsupported);
  r.add(['GET'], '/v1/plugins', LIST_PLUGINS, unsupported);
  r.add(['GET'], '/v1/plugin/*rest', READ_PLUGIN, unsupported);
}
