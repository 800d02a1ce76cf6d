// A real server on the single-node log (InMemoryConsensus), leading and with its duties running:
// for tests of the server role that need no cluster.
import { FSM } from '../../src/state/fsm.js';
import { StateStore } from '../../src/state/store.js';
import { InMemoryConsensus } from '../../src/server/consensus-memory.js';
import { Server, type ServerOptions } from '../../src/server/server.js';

export interface SingleNodeServer {
  store: StateStore;
  consensus: InMemoryConsensus;
  server: Server;
}

/** `before` writes into the state before the server starts (as a restart from disk would find it). */
export async function startSingleNodeServer(options: Partial<ServerOptions> = {}, before?: (fsm: FSM) => void): Promise<SingleNodeServer> {
  const store = new StateStore();
  const fsm = new FSM(store);
  before?.(fsm);
  const consensus = new InMemoryConsensus(fsm);
  const server = new Server({ region: 'global', datacenter: 'dc1', nodeName: 't', store, applied: fsm, consensus, rpcAddr: '127.0.0.1:4647', numSchedulers: 1, ...options });
  const leader = new Promise<void>((r) => consensus.onLeadershipChange(() => r()));
  server.start();
  await leader;
  await server.whenSettled();
  return { store, consensus, server };
}
