// The standard function library offered to configuration and job files.

import type { HclFunction } from '../function.js';
import { collectionFunctions } from './collections.js';
import { conversionFunctions } from './conversion.js';
import { cryptoFunctions } from './crypto.js';
import { encodingFunctions } from './encoding.js';
import { fileFunctions } from './files.js';
import { numberFunctions } from './numbers.js';
import { stringFunctions } from './strings.js';
import { timeFunctions } from './time.js';

export interface StandardFunctionOptions {
  /** Directory that relative paths in file(), abspath(), ... are taken from. Default: process.cwd(). */
  baseDir?: string;
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
    ...fileFunctions(opts.baseDir ?? process.cwd()),
  };
}
