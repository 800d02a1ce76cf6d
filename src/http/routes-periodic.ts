// Children of periodic and parameterized jobs: /v1/job/:id/periodic/force and /v1/job/:id/dispatch.
import { JOB_DISPATCH_REQUEST } from '../structs/request-shapes.js';
import { decodeApiBody } from '../structs/api-decode.js';
import { badRequest } from '../structs/errors.js';
import type { RouteTable } from './route-table.js';
import { namespaceNeed } from '../acl/need.js';
import type { Handler } from './api-context.js';
import { writeMeta } from './routes-jobs.js';

const periodicForce: Handler = async (x, api) => {
  const out = await api.server.jobs.periodicForce(x.namespace, x.params.id!);
  await writeMeta(x, api, out.Index, { ...out });
};

const dispatch: Handler = async (x, api) => {
  const body = decodeApiBody((await x.body()) ?? {}, JOB_DISPATCH_REQUEST) as { JobID?: string; Payload?: string | null; Meta?: Record<string, string> | null; IdPrefixTemplate?: string };
  if (body.JobID && body.JobID !== x.params.id) throw badRequest('Job ID does not match', 'JobID');
  const out = await api.server.jobs.dispatch(x.namespace, x.params.id!, {
    Payload: body.Payload ?? null,
    Meta: body.Meta ?? {},
    IdPrefixTemplate: body.IdPrefixTemplate ?? '',
    IdempotencyToken: x.query.get('idempotency_token') ?? '',
  });
  await writeMeta(x, api, out.Index, { ...out });
};

export function addPeriodicRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];
  r.add(W, '/v1/job/:id/periodic/force', namespaceNeed('submit-job'), periodicForce);
  r.add(W, '/v1/job/:id/dispatch', namespaceNeed('dispatch-job'), dispatch);
}
