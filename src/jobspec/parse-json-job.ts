// A JSON job file in the API's shape: `{"Job": {...}}` (what GET /v1/job/:id returns inside
// a register request) or the bare job object (what `nomad job run -json` takes). Field types
// are checked against the API shape, and each error names the field path and its position.
// Field names match case-insensitively, as the API's JSON decoding does.

import type { JobInput } from '../structs/job.js';
import { JOB_SHAPE, JOB_TYPE, isIntKind } from '../structs/job-shape.js';
import { decodeShape, type JsonView, type Mismatch } from '../structs/shape-decode.js';
import type { JobspecError } from './errors.js';
import { jsonValue, JsonSyntaxError, parseJsonWithPositions, type JsonNode } from './json-source.js';

export function parseJsonJob(source: string, filename: string): { job: JobInput | null; errors: JobspecError[] } {
  let root: JsonNode;
  try {
    root = parseJsonWithPositions(source, filename);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { job: null, errors: [{ message: `Invalid JSON; ${e.message}.`, file: filename, line: e.range.start.line, column: e.range.start.column }] };
  }
  const errors: JobspecError[] = [];
  const fail = (node: { range: JsonNode['range'] }, path: string, message: string): void => {
    errors.push({ message: `${path}: ${message}`, file: filename, line: node.range.start.line, column: node.range.start.column, path });
  };
  if (root.kind !== 'object') {
    fail(root, 'Job', 'expected a JSON object holding the job');
    return { job: null, errors };
  }
  let jobNode: JsonNode = root;
  const wrapper = root.entries.find((e) => e.key.toLowerCase() === 'job');
  if (wrapper && wrapper.value.kind === 'object') {
    const inner = wrapper.value;
    const looksLikeApiJob = inner.entries.some((e) => e.key in JOB_SHAPE || Object.keys(JOB_SHAPE).some((k) => k.toLowerCase() === e.key.toLowerCase()));
    if (!looksLikeApiJob && inner.entries.length > 0 && inner.entries.every((e) => e.value.kind === 'object' || e.value.kind === 'array')) {
      fail(wrapper.value, 'job', 'this is a job in HCL\'s JSON syntax ({"job": {"<name>": {...}}}); write the job in the API\'s JSON shape ({"Job": {"ID": ..., "TaskGroups": [...]}}) or as HCL');
      return { job: null, errors };
    }
    jobNode = inner;
  }
  const job = decodeShape(NODES, jobNode, JOB_TYPE, { path: 'Job', goStruct: '', goFields: [] }, (m) => fail(m.node, m.at.path, expectation(m)));
  return { job: errors.length > 0 ? null : (job as JobInput), errors };
}

const NODES: JsonView<JsonNode> = {
  kind: (n) => n.kind,
  entries: (n) => (n.kind === 'object' ? n.entries.map((e) => [e.key, e.value] as const) : []),
  items: (n) => (n.kind === 'array' ? n.items : []),
  plain: jsonValue,
};

function describe(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return `a string (${JSON.stringify(node.value.length > 30 ? node.value.slice(0, 27) + '...' : node.value)})`;
    case 'number':
      return `a number (${node.value})`;
    case 'bool':
      return `a bool (${node.value})`;
    case 'null':
      return 'null';
  }
}

function expectation(m: Mismatch<JsonNode>): string {
  const t = m.expected;
  if (m.problem === 'range') {
    const value = m.node.kind === 'number' ? m.node.value : NaN;
    return Number.isInteger(value) ? `${value} is out of range for ${t as string}` : `expected a whole number, got ${value}`;
  }
  if (m.problem === 'base64') return 'expected base64-encoded bytes';
  if (t === 'string' || t === 'bytes') return `expected a string, got ${describe(m.node)}`;
  if (t === 'bool') return `expected true or false, got ${describe(m.node)}`;
  if (isIntKind(t)) return `expected a number, got ${describe(m.node)}`;
  if (typeof t === 'object' && 'list' in t) return `expected an array, got ${describe(m.node)}`;
  return `expected an object, got ${describe(m.node)}`;
}
