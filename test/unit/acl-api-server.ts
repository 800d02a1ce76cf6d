// A real server with ACLs on, in one process: state store, FSM, in-memory consensus, the server
// role and the HTTP API on a free port, with a small client that sends a token.
import { StateStore } from '../../src/state/store.js';
import { FSM } from '../../src/state/fsm.js';
import { InMemoryConsensus } from '../../src/server/consensus-memory.js';
import { Server } from '../../src/server/server.js';
import { TokenResolver } from '../../src/acl/resolver.js';
import { HttpServer } from '../../src/http/http-server.js';
import { callRoute } from './route-walk.js';

export interface Reply {
  status: number;
  text: string;
}

export interface AclApiServer {
  port: number;
  /** A second listener on the same server with ACLs off (to compare what ACLs cost). */
  plainPort: number;
  store: StateStore;
  server: Server;
  http: HttpServer;
  call(method: string, path: string, token?: string, body?: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export interface AclApiServerOptions {
  /** The server's own acl.enabled (its RPC endpoints check tokens); the HTTP API checks them either way. */
  serverAcl?: boolean;
}

export async function startAclApiServer(opts: AclApiServerOptions = {}): Promise<AclApiServer> {
  // (The plain listener shares the server, so a comparison measures the ACL check alone.)
  const store = new StateStore();
  const fsm = new FSM(store);
  const consensus = new InMemoryConsensus(fsm, { rpcAddr: '127.0.0.1:4647' });
  const server = new Server({ region: 'global', datacenter: 'dc1', nodeName: 'test', store, applied: fsm, events: { feed: fsm, bufferSize: 100 }, consensus, rpcAddr: '127.0.0.1:4647', numSchedulers: 1, aclEnabled: opts.serverAcl ?? false });
  const leader = new Promise<void>((r) => consensus.onLeadershipChange(() => r()));
  server.start();
  await leader;
  await server.whenSettled();
  const http = new HttpServer({ server, store, client: null, agent: null, port: 0, acl: new TokenResolver({ state: () => store.snapshot(), nowMs: () => Date.now() }) });
  const port = (await http.listen()).port;
  const plain = new HttpServer({ server, store, client: null, agent: null, port: 0 });
  const plainPort = (await plain.listen()).port;
  const call = (method: string, path: string, token = '', body?: unknown): Promise<Reply> => callRoute('127.0.0.1', port, method, path, token, body);
  return {
    port,
    plainPort,
    store,
    server,
    http,
    call,
    async close() {
      await plain.close();
      await http.close();
      await server.shutdown();
      await consensus.shutdown();
    },
  };
}
