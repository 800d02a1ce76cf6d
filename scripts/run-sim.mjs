#!/usr/bin/env node
// `npm run sim -- --seeds N [--from S] [--only raft|gossip|cluster]` runs the deterministic simulations with many seeds.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
let status = 0;
for (const name of ['raft', 'gossip', 'cluster']) {
  const onlyIdx = args.indexOf('--only');
  if (onlyIdx >= 0 && args[onlyIdx + 1] !== name) continue;
  const file = `dist/test/sim/${name}/cli.js`;
  if (!existsSync(file)) continue;
  const res = spawnSync(process.execPath, [file, ...args], { stdio: 'inherit' });
  if (res.status !== 0) status = res.status ?? 1;
}
process.exit(status);
