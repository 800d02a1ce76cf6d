// nomad.version / nomad.revision / nomad.advertise.address: the version this agent speaks as,
// which the scheduler and `nomad node status` read.
import type { FingerprintContext, FingerprintResult } from './types.js';

export const NOMAD_VERSION = '1.1.2';
export const NOMAD_REVISION = 'e978d371fa4f066b02e75d5f5b5a57dc8cca1f3a';

export async function fingerprintNomad(ctx: FingerprintContext): Promise<FingerprintResult> {
  return { attributes: { 'nomad.version': NOMAD_VERSION, 'nomad.revision': NOMAD_REVISION, 'nomad.advertise.address': ctx.httpAdvertise } };
}
