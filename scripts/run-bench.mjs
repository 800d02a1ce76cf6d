#!/usr/bin/env node
// `npm run bench -- NAME` runs dist/bench/NAME.bench.js; without a name it lists them.
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const names = readdirSync('dist/bench').filter((f) => f.endsWith('.bench.js')).map((f) => f.replace(/\.bench\.js$/, ''));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
if (wanted.length === 0) {
  console.log('benchmarks:', names.join(' '));
  process.exit(0);
}
let status = 0;
for (const name of wanted) {
  const file = `dist/bench/${name}.bench.js`;
  if (!existsSync(file)) {
    console.error(`unknown benchmark "${name}"; known: ${names.join(' ')}`);
    process.exit(1);
  }
  const res = spawnSync(process.execPath, ['--expose-gc', file, ...extra], { stdio: 'inherit' });
  if (res.status !== 0) status = res.status ?? 1;
}
process.exit(status);
