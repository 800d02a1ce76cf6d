// Hash and identifier functions.

import { createHash, randomUUID } from 'node:crypto';
import { fn, type HclFunction } from '../function.js';
import { str } from './args.js';

const hash = (algorithm: string): HclFunction => fn(['str'], (a) => createHash(algorithm).update(str(a, 0), 'utf8').digest('hex'));

export const cryptoFunctions: Record<string, HclFunction> = {
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha512: hash('sha512'),
  uuidv4: fn([], () => randomUUID()),
};
