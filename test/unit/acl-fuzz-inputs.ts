// Seeded inputs for the ACL fuzz tests, from the generator the simulations use: a failing seed
// replays exactly.
import { seededRng } from '../../src/gossip/rng.js';

export const seededRandom = seededRng;

export const VALID_POLICIES = [
  'namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "write"\n}\n',
  'namespace "web-*" {\n  policy       = "write"\n  capabilities = ["alloc-exec", "read-logs"]\n}\nagent { policy = "read" }\n',
  'host_volume "*" { policy = "read" }\nplugin { policy = "list" }\nquota { policy = "deny" }\noperator { policy = "read" }\n',
  '{"namespace": {"default": {"policy": "read", "capabilities": ["submit-job"]}}, "node": {"policy": "read"}}',
];

const PIECES = ['{', '}', '[', ']', '"', '=', ',', ':', '\n', ' ', '#', '*', '-', 'namespace', 'policy', 'capabilities', 'read', 'write', 'deny', 'node', '${', '<<EOF\n', 'EOF', '\\', '\u00e9', '0', 'true', 'null'];

/** A valid policy with a few random edits: inserted, deleted or replaced pieces. */
export function mutatedPolicy(rand: () => number): string {
  let text = VALID_POLICIES[Math.floor(rand() * VALID_POLICIES.length)]!;
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (text.length + 1));
    const piece = PIECES[Math.floor(rand() * PIECES.length)]!;
    const op = rand();
    if (op < 0.4) text = text.slice(0, at) + piece + text.slice(at);
    else if (op < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 8));
    else text = text.slice(0, at) + piece + text.slice(at + piece.length);
  }
  return text;
}

/** A string that may be sent as an HTTP header value: printable ASCII, sometimes UUID-shaped. */
export function randomToken(rand: () => number): string {
  if (rand() < 0.3) {
    const hex = () => Math.floor(rand() * 16).toString(16);
    const part = (n: number) => Array.from({ length: n }, hex).join('');
    return `${part(8)}-${part(4)}-${part(4)}-${part(4)}-${part(12)}`;
  }
  const len = 1 + Math.floor(rand() * 120);
  return Array.from({ length: len }, () => String.fromCharCode(0x21 + Math.floor(rand() * 94))).join('');
}
