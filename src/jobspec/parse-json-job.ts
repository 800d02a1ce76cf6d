// A JSON job file in the API's shape: `{"Job": {...}}` (what GET /v1/job/:id returns inside
// a register request) or the bare job object (what `nomad job run -json` takes). Field types
// are checked against the API shape, and each error names the field path and its position.
// Field names match case-insensitively, as the API's JSON decoding does.

import type { JobInput } from '../structs/job.js';
import type { JobspecError } from './errors.js';
import { JOB_SHAPE, type FieldType, type Shape } from './json-shape.js';
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
  const job = check(jobNode, { object: JOB_SHAPE }, 'Job', fail);
  return { job: errors.length > 0 ? null : (job as JobInput), errors };
}

type Fail = (node: JsonNode, path: string, message: string) => void;

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

/** The plain value of node, with field names put in the API's spelling; errors reported. */
function check(node: JsonNode, type: FieldType, path: string, fail: Fail): unknown {
  if (node.kind === 'null' || type === 'any') return jsonValue(node);
  if (type === 'string') {
    if (node.kind !== 'string') fail(node, path, `expected a string, got ${describe(node)}`);
    return jsonValue(node);
  }
  if (type === 'int' || type === 'number') {
    if (node.kind !== 'number') fail(node, path, `expected a number, got ${describe(node)}`);
    else if (type === 'int' && !Number.isInteger(node.value)) fail(node, path, `expected a whole number, got ${node.value}`);
    return jsonValue(node);
  }
  if (type === 'bool') {
    if (node.kind !== 'bool') fail(node, path, `expected true or false, got ${describe(node)}`);
    return jsonValue(node);
  }
  if ('list' in type) {
    if (node.kind !== 'array') {
      fail(node, path, `expected an array, got ${describe(node)}`);
      return jsonValue(node);
    }
    return node.items.map((item, i) => check(item, type.list, `${path}[${i}]`, fail));
  }
  if (node.kind !== 'object') {
    fail(node, path, `expected an object, got ${describe(node)}`);
    return jsonValue(node);
  }
  const out: Record<string, unknown> = {};
  if ('map' in type) {
    for (const e of node.entries) out[e.key] = check(e.value, type.map, `${path}[${JSON.stringify(e.key)}]`, fail);
    return out;
  }
  const shape: Shape = type.object;
  const byLower = new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
  for (const e of node.entries) {
    const field = Object.hasOwn(shape, e.key) ? e.key : byLower.get(e.key.toLowerCase());
    if (field === undefined) {
      out[e.key] = jsonValue(e.value);
      continue;
    }
    out[field] = check(e.value, shape[field] as FieldType, `${path}.${field}`, fail);
  }
  return out;
}
