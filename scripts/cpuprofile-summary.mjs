#!/usr/bin/env node
// Sums the self time of V8 .cpuprofile files (node --cpu-prof, /v1/agent/pprof/profile) per file
// and per function, largest first: `node scripts/cpuprofile-summary.mjs [--top=N] FILE...`.
// With the unbundled build (no dist/bundle) the files are those of dist/src.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const top = Number((process.argv.find((a) => a.startsWith('--top=')) ?? '--top=40').slice(6));
if (files.length === 0) {
  console.error('usage: cpuprofile-summary.mjs [--top=N] FILE.cpuprofile...');
  process.exit(1);
}
const byFunction = new Map();
const byFile = new Map();
let totalUs = 0;
for (const f of files) {
  const profile = JSON.parse(readFileSync(f, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  for (const [id, us] of selfUs) {
    const cf = nodes.get(id).callFrame;
    const file = (cf.url || `(${cf.functionName})`).replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
    const fn = `${cf.functionName || '(anonymous)'} ${file}:${cf.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    totalUs += us;
  }
}
function show(table, title) {
  console.log(`\n== self time per ${title} (total ${(totalUs / 1e6).toFixed(1)} s)`);
  for (const [k, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1e6).toFixed(2).padStart(8)} s ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${k}`);
  }
}
show(byFile, 'file');
show(byFunction, 'function');
