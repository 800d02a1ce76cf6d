// A JSON request body checked against the API's struct shapes as Nomad's Go decoder checks it:
// the first value of a wrong type is a 400 in the words Go uses ("json: cannot unmarshal string
// into Go struct field TaskGroup.Job.TaskGroups.Count of type int"), followed by the exact path
// when list positions or map keys tell more than Go's field names do.
import { badRequest } from './errors.js';
import { goTypeName, type StructType } from './job-shape.js';
import { PLAIN_JSON, decodeShape, type Mismatch } from './shape-decode.js';

export function decodeApiBody(body: unknown, type: StructType): Record<string, unknown> {
  return decodeShape(PLAIN_JSON, body, type, { path: '', goStruct: '', goFields: [] }, (m) => {
    throw badRequest(goDecodeMessage(m), m.at.path || 'body');
  }) as Record<string, unknown>;
}

function goDecodeMessage(m: Mismatch<unknown>): string {
  const v = m.node;
  if (m.problem === 'base64') {
    const bad = /[^A-Za-z0-9+/=]/.exec(v as string);
    return `illegal base64 data at input byte ${bad ? bad.index : (v as string).length}`;
  }
  const kind = PLAIN_JSON.kind(v);
  let got: string = kind === 'bool' ? 'bool' : kind;
  // Go quotes the number's text when it is a number of the wrong size or with a fraction.
  if (m.problem === 'range') got = Number.isFinite(v) ? `number ${String(v)}` : 'number';
  const into = m.at.goFields.length > 0 ? `Go struct field ${m.at.goStruct}.${m.at.goFields.join('.')}` : 'Go value';
  const exact = /[[\]]/.test(m.at.path) ? ` (at ${m.at.path})` : '';
  return `json: cannot unmarshal ${got} into ${into} of type ${goTypeName(m.expected)}${exact}`;
}
