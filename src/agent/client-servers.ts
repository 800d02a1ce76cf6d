// How an agent that runs only a client reaches the servers: one RPC pool, the list of servers
// it knows (from `client.servers` / -servers, then from `server_join.retry_join`, then from what
// the servers answer), calls that fail over along that list, the HTTP forwarding built on them,
// and the retry-join loop that finds the servers named in `server_join`.
import { NODE_RPC, type StatusServersRequest, type StatusServersResponse } from '../rpc/protocol.js';
import { RpcPool, withDefaultRpcPort } from '../rpc/index.js';
import { NomadError } from '../structs/errors.js';
import { ServerList } from '../client/server-list.js';
import { ServerFailoverCaller } from '../client/server-caller.js';
import type { AgentConfig } from './config.js';
import type { Logger } from './logger.js';
import { HttpForwarder } from './http-forward.js';
import { loadRpcTls } from './tls-config.js';
import { DEFAULT_RETRY_INTERVAL_MS, RetryJoiner } from './join.js';

/** How long one server may take to say which servers there are. */
const DISCOVERY_TIMEOUT_MS = 5_000;

export class RemoteServers {
  readonly pool: RpcPool;
  readonly list: ServerList;
  readonly caller: ServerFailoverCaller;
  readonly forwarder: HttpForwarder;
  private joiner: RetryJoiner | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
  ) {
    const rpcLog = log.named('client.rpc');
    // With tls.rpc the client speaks mutual TLS to the servers, as theirs do to each other.
    const tls = loadRpcTls(config, rpcLog);
    this.pool = new RpcPool({ logger: rpcLog, ...(tls ? { tls: tls.pool } : {}) });
    this.list = new ServerList(config.client.servers.map((a) => withDefaultRpcPort(a)));
    this.caller = new ServerFailoverCaller(this.pool, this.list);
    this.forwarder = new HttpForwarder(this.pool, this.list, log.named('http'));
  }

  /** Starts looking for the servers of `server_join.retry_join` in the background; `onExhausted` when retry_max attempts failed. */
  startJoin(onExhausted: () => void): void {
    const sj = this.config.client.serverJoin;
    if (sj.retryJoin.length === 0) return;
    this.joiner = new RetryJoiner({
      addrs: sj.retryJoin.map((a) => withDefaultRpcPort(a)),
      intervalMs: sj.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
      maxRetries: sj.retryMax ?? 0,
      join: (addrs) => this.discover(addrs),
      logger: this.log.named('agent.joiner'),
      onExhausted,
      agentMode: 'client',
    });
    this.joiner.start();
  }

  /**
   * Asks each address which servers the region has; every answer is added to the list. Fails
   * (naming every address and why) when none answered; a server of another region is refused.
   */
  async discover(addrs: string[]): Promise<number> {
    const req: StatusServersRequest = { Region: this.config.region };
    const answers = await Promise.allSettled(addrs.map((a) => this.pool.call<StatusServersResponse>(a, NODE_RPC.servers, req, { timeoutMs: DISCOVERY_TIMEOUT_MS })));
    const problems: string[] = [];
    let found = 0;
    answers.forEach((r, i) => {
      const addr = addrs[i]!;
      if (r.status === 'fulfilled') {
        this.list.add([addr, ...r.value.Servers]);
        found++;
      } else {
        const e = r.reason as Error;
        if (e instanceof NomadError) this.log.error('client: a server refused this client', { server: addr, error: e.message });
        problems.push(`${addr}: ${e.message}`);
      }
    });
    if (found === 0) throw new Error(`no server answered: ${problems.join('; ')}`);
    return found;
  }

  /** `PUT /v1/agent/servers`: the list given replaces what the client knew. */
  setServers(addrs: string[]): void {
    this.list.replace(addrs.map((a) => withDefaultRpcPort(a)));
  }

  async close(): Promise<void> {
    this.joiner?.stop();
    await this.pool.close();
  }
}
