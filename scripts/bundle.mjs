#!/usr/bin/env node
// Bundles the compiled CLI and agent entry points into one file each (dist/bundle/*.mjs), so
// that `nomad` loads one module instead of a few hundred: the agent reaches "node ready" and a
// CLI command answers noticeably sooner. bin/nomad falls back to the unbundled output when a
// bundle is missing, so a failed bundle never breaks the program.
import { mkdirSync, rmSync } from 'node:fs';

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('bundle: esbuild is not installed; bin/nomad will load the unbundled output');
  process.exit(0);
}

// Chunk names change with their content: a fresh directory keeps old chunks from piling up.
rmSync('dist/bundle', { recursive: true, force: true });
mkdirSync('dist/bundle', { recursive: true });
// ES modules bundled from CommonJS dependencies need a `require` of their own.
const banner = "import { createRequire as __nomadCreateRequire } from 'node:module'; const require = __nomadCreateRequire(import.meta.url);";
await esbuild.build({
  entryPoints: { cli: 'dist/src/cli/main.js', agent: 'dist/src/agent/command.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: banner },
  // Loaded on demand or native: left to node's resolver from node_modules.
  external: ['msgpackr-extract', 'prom-client'],
  logLevel: 'warning',
});
