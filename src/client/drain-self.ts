// drain_on_shutdown: a client that is leaving asks the servers to drain its own node, then
// keeps running its allocations until the servers have moved them all (the drain ends) or the
// bound passes, so that the work is elsewhere before this client stops.
import type { ClientServerRpc } from '../rpc/protocol.js';
import type { DrainSpec } from '../structs/node.js';
import type { Logger } from './config.js';

/** Bound of one wait for the node to change: the loop looks at the bound at least this often. */
const WAIT_MS = 10_000;

/** True when the drain finished within `boundMs`; false when it was still under way (or refused). */
export async function drainSelf(rpc: ClientServerRpc, nodeId: string, spec: DrainSpec, boundMs: number, log: Logger): Promise<boolean> {
  const untilMs = Date.now() + boundMs;
  let index: number;
  try {
    index = (await rpc.updateDrain(nodeId, spec, false)).NodeModifyIndex;
  } catch (err) {
    log.error('client: drain on shutdown: the servers refused the drain', { error: String(err) });
    return false;
  }
  log.info('client: drain on shutdown: node drain started', { node_id: nodeId, bound_ms: boundMs });
  while (Date.now() < untilMs) {
    try {
      const { Node, Index } = await rpc.nodeGet(nodeId, index, Math.min(WAIT_MS, Math.max(1, untilMs - Date.now())));
      if (!Node || Node.DrainStrategy === null) {
        log.info('client: drain on shutdown: node drain complete', { node_id: nodeId });
        return true;
      }
      index = Math.max(index, Index);
    } catch (err) {
      log.warn('client: drain on shutdown: failed to read the node', { error: String(err) });
      return false;
    }
  }
  log.warn('client: drain on shutdown: the drain did not finish in time; stopping anyway', { node_id: nodeId });
  return false;
}
