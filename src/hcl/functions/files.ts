// Filesystem functions. Relative paths are taken from `baseDir` (the directory the caller
// names, normally the working directory), so a job file reads the same files wherever it is
// parsed from.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fn, FunctionError, type HclFunction } from '../function.js';
import { str } from './args.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** node:os is loaded only when a path starts with "~": most job files never ask. */
function homedir(): string {
  return (createRequire(import.meta.url)('node:os') as typeof import('node:os')).homedir();
}

export function fileFunctions(baseDir: string): Record<string, HclFunction> {
  const resolve = (p: string): string => path.resolve(baseDir, expandHome(p));
  return {
    abspath: fn(['path'], (a) => resolve(str(a, 0))),
    basename: fn(['path'], (a) => path.basename(str(a, 0))),
    dirname: fn(['path'], (a) => path.dirname(str(a, 0))),
    pathexpand: fn(['path'], (a) => expandHome(str(a, 0))),
    file: fn(['path'], (a) => {
      const p = resolve(str(a, 0));
      try {
        const bytes = readFileSync(p);
        try {
          return strictUtf8.decode(Uint8Array.from(bytes));
        } catch {
          throw new FunctionError(`The file ${p} is not valid UTF-8 text.`, 0);
        }
      } catch (e) {
        if (e instanceof FunctionError) throw e;
        throw new FunctionError(`Cannot read the file ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, 0);
      }
    }),
    fileexists: fn(['path'], (a) => {
      const p = resolve(str(a, 0));
      if (!existsSync(p)) return false;
      if (!statSync(p).isFile()) throw new FunctionError(`${p} exists but is not a regular file.`, 0);
      return true;
    }),
  };
}

function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return path.join(homedir(), p.slice(2));
  return p;
}
