#!/usr/bin/env node
// Bundles the compiled programs so that `nomad` loads one file instead of a few hundred modules:
// - the CLI as one CommonJS file (dist/bundle/cli.cjs): a command starts without the ES module
//   loader, which took a tenth of a short command's time; the job file parser inside it is
//   evaluated only by the commands that read job files;
// - the agent as ES modules split into chunks (dist/bundle/agent.mjs): its parts that are not
//   needed to reach "node ready" (the schedulers, the job parser) load later.
// bin/nomad falls back to the unbundled tsc output when a bundle is missing, so a failed bundle
// never breaks the program.
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

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Loaded on demand or native: left to node's resolver from node_modules. The certificate
  // libraries serve only `nomad tls`: outside the bundle, no other command parses them.
  external: ['msgpackr-extract', 'unix-dgram', '@peculiar/*', 'reflect-metadata'],
  logLevel: 'warning',
};

// ES modules bundled from CommonJS dependencies need a `require` of their own.
await esbuild.build({
  ...common,
  entryPoints: { agent: 'dist/src/agent/command.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  banner: { js: "import { createRequire as __nomadCreateRequire } from 'node:module'; const require = __nomadCreateRequire(import.meta.url);" },
});

// The CLI starts the agent only through bin/nomad's own path; were `main(['agent', ...])` called,
// the agent is imported from the unbundled output rather than copied into the CLI's file.
const agentOutsideCli = {
  name: 'agent-outside-cli',
  setup(build) {
    build.onResolve({ filter: /agent\/command\.js$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: '../src/agent/command.js', external: true } : undefined,
    );
  },
};
await esbuild.build({
  ...common,
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/bundle/cli.cjs',
  format: 'cjs',
  // import.meta.url (for createRequire of lazily loaded builtins) from the CommonJS file's own path.
  define: { 'import.meta.url': '__nomadImportMetaUrl' },
  banner: { js: "const __nomadImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [agentOutsideCli],
});

// A task's executor is a process of its own for every start of a host-process task: one
// CommonJS file starts faster than the handful of modules it would load.
await esbuild.build({
  ...common,
  entryPoints: ['dist/src/drivers/executor/main.js'],
  outfile: 'dist/bundle/executor.cjs',
  format: 'cjs',
});
