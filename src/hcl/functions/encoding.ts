// Encoding functions: JSON, CSV, base64, URL.

import { fn, FunctionError, type HclFunction } from '../function.js';
import { isObjectValue, UnknownValue, type Value } from '../value.js';
import { str } from './args.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON text of a value; object keys sorted, as HCL's jsonencode gives them. */
export function jsonEncode(v: Value): string {
  if (v instanceof UnknownValue) return JSON.stringify('${' + v.text + '}');
  if (Array.isArray(v)) return '[' + v.map(jsonEncode).join(',') + ']';
  if (isObjectValue(v)) {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + jsonEncode(v[k] as Value)).join(',') + '}';
  }
  return JSON.stringify(v);
}

/** RFC 4180 CSV: the first row names the columns; every row becomes a map. */
function csvDecode(text: string): Value[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      rows.push(row);
      row = [];
    } else field += c;
    i++;
  }
  if (quoted) throw new FunctionError('A quoted CSV field is not closed.', 0);
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  const [header, ...body] = rows;
  if (!header) throw new FunctionError('The CSV text has no header row.', 0);
  return body.map((r, n) => {
    if (r.length !== header.length) throw new FunctionError(`CSV row ${n + 2} has ${r.length} fields; the header has ${header.length}.`, 0);
    return Object.fromEntries(header.map((h, j) => [h, r[j] as string]));
  });
}

function fromJson(x: unknown): Value {
  return x as Value;
}

export const encodingFunctions: Record<string, HclFunction> = {
  jsonencode: fn(['value'], (a) => jsonEncode(a[0] as Value)),
  jsondecode: fn(['str'], (a) => {
    try {
      return fromJson(JSON.parse(str(a, 0)));
    } catch (e) {
      throw new FunctionError(`The string is not valid JSON: ${(e as Error).message}`, 0);
    }
  }),
  csvdecode: fn(['str'], (a) => csvDecode(str(a, 0))),
  base64encode: fn(['str'], (a) => Buffer.from(str(a, 0), 'utf8').toString('base64')),
  base64decode: fn(['str'], (a) => {
    const s = str(a, 0);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new FunctionError('The string is not valid base64.', 0);
    try {
      return strictUtf8.decode(Uint8Array.from(Buffer.from(s, 'base64')));
    } catch {
      throw new FunctionError('The decoded bytes are not valid UTF-8 text.', 0);
    }
  }),
  urlencode: fn(['str'], (a) => encodeURIComponent(str(a, 0)).replace(/%20/g, '+')),
};
