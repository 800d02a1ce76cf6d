// The typed client of the HTTP API: the only way the CLI reaches an agent.
export { NomadClient, createClient } from './client.js';
export { resolveConfig, normalizeAddress, DEFAULT_ADDRESS, type ApiConfig, type ConfigOverrides } from './config.js';
export { ApiError, TransportError, isNotFound } from './errors.js';
export { FrameDecoder, frameData, type StreamFrame } from './frames.js';
export type { Answer, QueryMeta, QueryOptions, WriteMeta, WriteOptions } from './query.js';
export type * from './types.js';
export type { LogsOptions } from './allocations.js';
export type { RegisterOptions } from './jobs.js';
export type { EventFrame, EventStreamOptions, StreamedEvent } from './events.js';
export type { JobScaleStatus, ScaleAction, TaskGroupScaleStatus } from './scaling.js';
export type { AclTokenRequest } from './acl.js';
export type { AclPolicy, AclPolicyListStub, AclToken, AclTokenListStub } from '../structs/acl.js';
