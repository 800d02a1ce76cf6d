// The standard function library offered to configuration and job files.

import type { HclFunction } from '../function.js';
import { collectionFunctions } from './collections.js';
import { conversionFunctions } from './conversion.js';
import { cryptoFunctions } from './crypto.js';
import { encodingFunctions } from './encoding.js';
import { type FileAccess, fileFunctions, FileReadLog } from './files.js';
import { numberFunctions } from './numbers.js';
import { stringFunctions } from './strings.js';
import { timeFunctions } from './time.js';

export { type FileAccess, FileReadLog } from './files.js';

export interface StandardFunctionOptions {
  /**
   * Whether file(), fileexists(), abspath() and pathexpand() may touch the filesystem, and the
   * directory relative paths are taken from. Default: they may not (an agent's parse).
   */
  fileAccess?: FileAccess;
  /** Where file() records what it read, so that errors can be kept from quoting it. */
  readLog?: FileReadLog;
}

export function standardFunctions(opts: StandardFunctionOptions = {}): Record<string, HclFunction> {
  return {
    ...stringFunctions,
    ...numberFunctions,
    ...collectionFunctions,
    ...encodingFunctions,
    ...cryptoFunctions,
    ...timeFunctions,
    ...conversionFunctions,
    ...fileFunctions(opts.fileAccess ?? null, opts.readLog ?? new FileReadLog()),
  };
}
