// The region a request is served in, by the rule its route declares (route-table.ts). A region
// other than this agent's sends the request there (region-tunnel.ts).
import type { ApiContext } from './api-context.js';
import type { Exchange } from './exchange.js';
import type { RegionFrom } from './route-table.js';

/** Nomad's name for "the region of the agent that receives it" in a job. */
const GLOBAL_REGION = 'global';

export async function requestRegion(x: Exchange, api: ApiContext, from: RegionFrom): Promise<string> {
  const local = api.server.region;
  const asked = x.query.get('region') ?? '';
  switch (from) {
    case 'local':
      return local;
    case 'request':
      return asked || local;
    case 'job-body':
      return regionForJob(await x.body(), asked, local);
    case 'authoritative':
      return api.server.authoritativeRegion;
    case 'acl-token-body': {
      const body = await x.body();
      const global = isObject(body) && body.Global === true;
      return global ? api.server.authoritativeRegion : asked || local;
    }
    case 'acl-token-param': {
      const token = api.store.snapshot().aclTokenByAccessor(x.params.accessor ?? '');
      return token?.Global ? api.server.authoritativeRegion : asked || local;
    }
  }
}

/**
 * Nomad's rule for a submitted job (register, plan): the request body's Region (its write
 * request) first, then ?region=, then the job's own; none, or "global", means this agent's
 * region. The job is stored with the region it is served in.
 */
export function regionForJob(body: unknown, asked: string, local: string): string {
  const bodyRegion = isObject(body) && typeof body.Region === 'string' ? body.Region : '';
  const job = isObject(body) && isObject(body.Job) ? body.Job : null;
  const jobRegion = job && typeof job.Region === 'string' ? job.Region : '';
  const region = bodyRegion || asked || jobRegion;
  return region === '' || region === GLOBAL_REGION ? local : region;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
