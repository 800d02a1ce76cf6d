import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagSet, HelpRequested, UsageError } from './flags.js';

const fs = () => new FlagSet('t').bool('detach').bool('verbose').string('address').int('check-index').list('var').int('n', -1);

test('values by space, by equals, and with two dashes', () => {
  const f = fs().parse(['-address', 'http://x:1', '--check-index=7', '-var', 'a=1', '-var=b=2', 'file.nomad', '-detach']);
  assert.equal(f.string('address'), 'http://x:1');
  assert.equal(f.int('check-index'), 7);
  assert.deepEqual(f.list('var'), ['a=1', 'b=2']);
  assert.deepEqual(f.args, ['file.nomad', '-detach'], 'flags stop at the first positional argument');
  assert.equal(f.bool('detach'), false);
});

test('booleans take no value unless written with =', () => {
  const f = fs().parse(['-detach', '-verbose=false', 'x']);
  assert.equal(f.bool('detach'), true);
  assert.equal(f.bool('verbose'), false);
  assert.deepEqual(f.args, ['x']);
  assert.throws(() => fs().parse(['-detach=maybe']), UsageError);
});

test('defaults, isSet and the -- terminator', () => {
  const f = fs().parse(['--', '-detach']);
  assert.equal(f.int('n'), -1);
  assert.equal(f.isSet('check-index'), false);
  assert.deepEqual(f.args, ['-detach']);
  assert.equal(fs().parse(['-check-index', '0']).isSet('check-index'), true);
});

test('unknown flags, missing values and bad integers are usage errors; -h asks for help', () => {
  assert.throws(() => fs().parse(['-bogus']), /flag provided but not defined: -bogus/);
  assert.throws(() => fs().parse(['-address']), /flag needs an argument: -address/);
  assert.throws(() => fs().parse(['-check-index', 'ten']), /invalid value "ten" for flag -check-index/);
  assert.throws(() => fs().parse(['-h']), HelpRequested);
  assert.throws(() => fs().parse(['--help']), HelpRequested);
});
