// Seeded fuzz of the policy parser: malformed rules are refused with a line and column, never a
// crash; whatever parses compiles into an ACL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from './parse-policy.js';
import { Acl } from './acl.js';
import { mutatedPolicy, seededRandom } from '../../test/unit/acl-fuzz-inputs.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const ROUNDS = 4000;

test(`mutated policies parse or fail with positions (seed ${SEED})`, () => {
  const rand = seededRandom(SEED);
  let refused = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const text = mutatedPolicy(rand);
    const r = parsePolicy(text);
    if (r.ok) {
      Acl.compile([r.policy]).allowNamespaceOperation('default', 'read-job');
      continue;
    }
    refused++;
    assert.ok(r.errors.length > 0, `round ${i}: refused without a reason: ${JSON.stringify(text)}`);
    const lines = text.split('\n').length;
    for (const e of r.errors) {
      assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines + 1, `round ${i}: line ${e.line} of ${lines}: ${JSON.stringify(text)}`);
      assert.ok(Number.isInteger(e.column) && e.column >= 1, `round ${i}: column ${e.column}`);
      assert.ok(e.message.length > 0);
    }
  }
  assert.ok(refused > ROUNDS / 4, `most mutations break a policy (${refused} of ${ROUNDS} refused)`);
});
