// The far end of the RPC benchmark, in its own process so that caller and server do not share
// an event loop: answers small calls and consumes uploads, then prints its address and waits
// to be killed.
import { RpcServer } from '../src/rpc/index.js';
import { silentRpcLogger } from '../src/rpc/index.js';

const server = new RpcServer({ bindHost: '127.0.0.1', port: 0, logger: silentRpcLogger });
server.handle('Node.UpdateStatus', async (args) => {
  const a = args as { NodeID: string };
  return { HeartbeatTTLMs: 15_000, Index: 1234, Servers: ['127.0.0.1:4647'], NodeID: a.NodeID };
});
server.handleUpload('Snapshot.Install', async (_args, data) => {
  let bytes = 0;
  for await (const chunk of data) bytes += chunk.length;
  return bytes;
});
const { host, port } = await server.listen();
process.stdout.write(`${host}:${port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
