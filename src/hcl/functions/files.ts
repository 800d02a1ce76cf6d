// Filesystem functions. They read the machine they run on, so they are offered only where the
// person parsing the file owns that machine: the CLI, with relative paths taken from the job
// file's directory. An agent parses job files for whoever can reach its API: there every
// filesystem function fails with "filesystem function disabled", before touching any path.
// basename and dirname only look at the string and stay available everywhere.

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

/** What the filesystem functions may do: read under `baseDir`, or nothing at all. */
export type FileAccess = { baseDir: string } | null;

/**
 * Contents the file functions have read during one parse. Error messages are passed through
 * `redact` so that what a file held is never quoted back, whoever ends up reading the error.
 */
export class FileReadLog {
  private readonly contents: string[] = [];

  record(content: string): void {
    if (content.length > 0) this.contents.push(content);
  }

  /** Replaces every quoted string in `message` that is part of something a function read. */
  redact(message: string): string {
    if (this.contents.length === 0) return message;
    return message.replace(/"(?:[^"\\]|\\.)*"/g, (quoted) => {
      let text: string;
      try {
        text = JSON.parse(quoted) as string;
      } catch {
        text = quoted.slice(1, -1);
      }
      if (text.length === 0 || !this.contents.some((c) => c.includes(text))) return quoted;
      return '(a value read from a file)';
    });
  }
}

const FS_FUNCTIONS = ['abspath', 'file', 'fileexists', 'pathexpand'] as const;

function disabled(name: string): HclFunction {
  return fn(['path'], () => {
    throw new FunctionError(`filesystem function disabled: ${name}() cannot be used in a job parsed by an agent.`);
  });
}

export function fileFunctions(access: FileAccess, readLog: FileReadLog): Record<string, HclFunction> {
  const pathOnly = {
    basename: fn(['path'], (a) => path.basename(str(a, 0))),
    dirname: fn(['path'], (a) => path.dirname(str(a, 0))),
  };
  if (access === null) return { ...pathOnly, ...Object.fromEntries(FS_FUNCTIONS.map((n) => [n, disabled(n)])) };
  const resolve = (p: string): string => path.resolve(access.baseDir, expandHome(p));
  return {
    ...pathOnly,
    abspath: fn(['path'], (a) => resolve(str(a, 0))),
    pathexpand: fn(['path'], (a) => expandHome(str(a, 0))),
    file: fn(['path'], (a) => {
      const p = resolve(str(a, 0));
      let bytes: Buffer;
      try {
        bytes = readFileSync(p);
      } catch (e) {
        throw new FunctionError(`Cannot read the file ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, 0);
      }
      let text: string;
      try {
        text = strictUtf8.decode(Uint8Array.from(bytes));
      } catch {
        throw new FunctionError(`The file ${p} is not valid UTF-8 text.`, 0);
      }
      readLog.record(text);
      return text;
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
