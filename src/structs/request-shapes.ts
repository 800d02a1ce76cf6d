// Shapes of request bodies beside jobs (namespaces, dispatch), checked as Nomad's decoder does.
import type { StructType } from './job-shape.js';

const strings = { list: 'string' as const, ptr: false };

export const NAMESPACE_TYPE: StructType = {
  name: 'Namespace',
  object: {
    Name: 'string',
    Description: 'string',
    Quota: 'string',
    Capabilities: { name: 'NamespaceCapabilities', object: { EnabledTaskDrivers: strings, DisabledTaskDrivers: strings } },
    Meta: { map: 'string' },
    CreateIndex: 'uint64',
    ModifyIndex: 'uint64',
  },
};

export const JOB_DISPATCH_REQUEST: StructType = {
  name: 'JobDispatchRequest',
  object: { JobID: 'string', Payload: 'bytes', Meta: { map: 'string' }, IdPrefixTemplate: 'string' },
};
