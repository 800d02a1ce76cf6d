// The operator endpoints of a cluster: the Raft configuration and peer removal, the autopilot
// configuration (with check-and-set) and health, and saving and restoring the whole state.
import { badRequest } from '../structs/errors.js';
import { MAX_SNAPSHOT_BYTES } from '../structs/snapshot-archive.js';
import { formatDurationNs, parseDurationNs } from '../structs/time.js';
import type { AutopilotConfiguration } from '../state/reader.js';
import { MANAGEMENT, coarseNeed } from '../acl/need.js';
import type { RouteTable } from './route-table.js';
import { allowsStale } from './read-consistency.js';

/** The autopilot configuration in Nomad's JSON: durations as Go duration strings. */
export function autopilotJson(c: AutopilotConfiguration): Record<string, unknown> {
  return {
    CleanupDeadServers: c.CleanupDeadServers,
    LastContactThreshold: formatDurationNs(c.LastContactThreshold),
    MaxTrailingLogs: c.MaxTrailingLogs,
    MinQuorum: c.MinQuorum,
    ServerStabilizationTime: formatDurationNs(c.ServerStabilizationTime),
    EnableRedundancyZones: c.EnableRedundancyZones,
    DisableUpgradeMigration: c.DisableUpgradeMigration,
    EnableCustomUpgrades: c.EnableCustomUpgrades,
    CreateIndex: c.CreateIndex,
    ModifyIndex: c.ModifyIndex,
  };
}

const BOOL_FIELDS = ['CleanupDeadServers', 'EnableRedundancyZones', 'DisableUpgradeMigration', 'EnableCustomUpgrades'] as const;
const COUNT_FIELDS = ['MaxTrailingLogs', 'MinQuorum'] as const;
const DURATION_FIELDS = ['LastContactThreshold', 'ServerStabilizationTime'] as const;
/** Sent back by clients that read, change and write the whole object; the server sets them. */
const INDEX_FIELDS = ['CreateIndex', 'ModifyIndex'];

/**
 * A PUT body over the current configuration. Fields left out keep their values (a partial body
 * never zeroes the rest); a field of the wrong type, a malformed duration or a field this API
 * does not have is refused with its name.
 */
export function parseAutopilotBody(body: Record<string, unknown>, current: AutopilotConfiguration): AutopilotConfiguration {
  const out: AutopilotConfiguration = { ...current };
  const known = new Set<string>([...BOOL_FIELDS, ...COUNT_FIELDS, ...DURATION_FIELDS, ...INDEX_FIELDS]);
  for (const key of Object.keys(body)) {
    if (!known.has(key)) throw badRequest(`Error parsing autopilot config: unknown field "${key}"`, key);
  }
  for (const f of BOOL_FIELDS) {
    const v = body[f];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw badRequest(`Error parsing autopilot config: ${f} must be a boolean`, f);
    out[f] = v;
  }
  for (const f of COUNT_FIELDS) {
    const v = body[f];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badRequest(`Error parsing autopilot config: ${f} must be a non-negative integer`, f);
    out[f] = v;
  }
  for (const f of DURATION_FIELDS) {
    const v = body[f];
    if (v === undefined) continue;
    const ns = typeof v === 'string' ? parseDurationNs(v) : null;
    if (ns === null || ns < 0) throw badRequest(`Error parsing autopilot config: ${f} must be a duration such as "200ms" or "10s", got ${JSON.stringify(v)}`, f);
    out[f] = ns;
  }
  return out;
}

// Access as Nomad's: the Raft configuration, peer removal and snapshots need a management token;
// the autopilot configuration and health operator:read or operator:write.
export function addOperatorRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];

  r.add(['GET'], '/v1/operator/raft/configuration', MANAGEMENT, async (x, api) => {
    const op = api.server.operator;
    await x.sendJson(200, allowsStale(x.query) ? op.localRaftConfiguration() : await op.raftConfiguration());
  });

  r.add(['DELETE'], '/v1/operator/raft/peer', MANAGEMENT, async (x, api) => {
    const id = x.query.has('id') ? (x.query.get('id') ?? '') : '';
    const address = x.query.has('address') ? (x.query.get('address') ?? '') : '';
    if (!x.query.has('id') && !x.query.has('address')) throw badRequest("Must specify either ?id with the server's ID or ?address with IP:port of peer to remove", '?id');
    if (x.query.has('id') && x.query.has('address')) throw badRequest('Must specify only one of ?id or ?address', '?id');
    await api.server.operator.removeRaftPeer(id, address);
    await x.sendText(200, 'application/json', '');
  });

  r.add(['GET'], '/v1/operator/autopilot/configuration', coarseNeed('operator', 'read'), async (x, api) => {
    await x.sendJson(200, autopilotJson(api.store.snapshot().autopilotConfig()));
  });

  r.add(W, '/v1/operator/autopilot/configuration', coarseNeed('operator', 'write'), async (x, api) => {
    let casIndex: number | null = null;
    if (x.query.has('cas')) {
      const raw = x.query.get('cas') ?? '';
      if (!/^\d+$/.test(raw)) throw badRequest(`Error parsing cas value: strconv.ParseUint: parsing ${JSON.stringify(raw)}: invalid syntax`, '?cas');
      casIndex = Number(raw);
    }
    const config = parseAutopilotBody(await x.objectBody(), api.store.snapshot().autopilotConfig());
    const res = await api.server.operator.setAutopilotConfig(config, casIndex);
    // Without ?cas the write always happens: Nomad answers true.
    await x.sendJson(200, casIndex === null ? true : res.Updated);
  });

  r.add(['GET'], '/v1/operator/autopilot/health', coarseNeed('operator', 'read'), async (x, api) => {
    const health = await api.server.operator.autopilotHealth();
    // Nomad answers 429 while any server is unhealthy, so that a plain HTTP check fails.
    await x.sendJson(health.Healthy ? 200 : 429, health);
  });

  r.add(['GET'], '/v1/operator/snapshot', MANAGEMENT, async (x, api) => {
    const op = api.server.operator;
    const saved = allowsStale(x.query) ? await op.localSnapshotSave() : await op.snapshotSave();
    x.res.setHeader('Digest', saved.digest);
    await x.sendText(200, 'application/x-gzip', Buffer.from(saved.archive.buffer, saved.archive.byteOffset, saved.archive.length));
  });

  r.add(W, '/v1/operator/snapshot', MANAGEMENT, async (x, api) => {
    const body = await x.rawBody(MAX_SNAPSHOT_BYTES);
    const archive = new Uint8Array(body.buffer, body.byteOffset, body.length);
    if (archive.length === 0) throw badRequest('a snapshot archive is required in the request body', 'body');
    const res = await api.server.operator.snapshotRestore(archive);
    x.res.setHeader('X-Nomad-Index', String(res.Index));
    await x.sendText(200, 'application/json', '');
  });
}
