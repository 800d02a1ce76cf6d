// The RPC transport on port 4647: agent-to-agent calls, streams, uploads and one-way messages
// over one multiplexed, TLS-capable listener. docs/rpc-protocol.md describes the wire.
export type {
  RpcCallOptions,
  RpcCaller,
  RpcDuplexHandler,
  RpcHandler,
  RpcLogger,
  RpcNotifyHandler,
  RpcRequestContext,
  RpcStreamHandler,
  RpcStreamWriter,
  RpcUploadHandler,
} from './types.js';
export { silentRpcLogger } from './types.js';
export { RpcError } from './errors.js';
export type { RpcErrorCode } from './errors.js';
export { RpcServer } from './server.js';
export type { RpcServerOptions } from './server.js';
export { RpcPool } from './pool.js';
export type { RpcPoolOptions } from './pool.js';
export type { ReconnectBackoff } from './backoff.js';
export type { RpcTlsClientOptions, RpcTlsServerOptions } from './tls.js';
export { RpcRaftTransport, RAFT_MESSAGE_METHOD, RAFT_SNAPSHOT_METHOD } from './raft-transport.js';
export type { RpcRaftTransportOptions } from './raft-transport.js';
export { DEFAULT_RPC_PORT, parseRpcAddress, withDefaultRpcPort } from './address.js';
export { InProcessRpc } from './in-process.js';
