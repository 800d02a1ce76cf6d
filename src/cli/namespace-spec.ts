// A namespace specification file (`nomad namespace apply file.hcl`), in HCL or JSON: its keys
// are those of Nomad's spec files, and anything else is refused with its position.
import { bodyToPlain, formatDiagnostic, formatPos, parseHcl, type PlainResult } from '../hcl/index.js';
import type { NamespaceSpec } from '../api/namespaces.js';

const TOP_KEYS = new Set(['name', 'description', 'quota', 'capabilities', 'meta']);
const CAPABILITY_KEYS = new Set(['enabled_task_drivers', 'disabled_task_drivers']);

export class NamespaceSpecError extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses a spec file's text; `file` names it in errors. */
export function parseNamespaceSpec(text: string, file: string): NamespaceSpec {
  let data: Obj;
  let where: (path: Array<string | number>) => string;
  if (file.endsWith('.json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObj(parsed)) throw new NamespaceSpecError(`${file}: a namespace specification must be a JSON object`);
      data = parsed;
    } catch (e) {
      if (e instanceof NamespaceSpecError) throw e;
      throw new NamespaceSpecError(`${file}: invalid JSON: ${(e as Error).message}`);
    }
    where = (path) => `${file}: ${path.join('.')}`;
  } else {
    const { body, diagnostics } = parseHcl(text, file);
    const syntax = diagnostics.filter((d) => d.severity === 'error');
    if (syntax.length > 0) throw new NamespaceSpecError(syntax.map(formatDiagnostic).join('\n'));
    const plain: PlainResult = bodyToPlain(body, { variables: {}, functions: {} });
    const problems = plain.diagnostics.filter((d) => d.severity === 'error');
    if (problems.length > 0) throw new NamespaceSpecError(problems.map(formatDiagnostic).join('\n'));
    data = plain.value as Obj;
    where = (path) => {
      const loc = plain.locate(path);
      return loc ? formatPos(loc.key) : file;
    };
  }
  return specFrom(data, where);
}

function specFrom(data: Obj, where: (path: Array<string | number>) => string): NamespaceSpec {
  const fail = (path: Array<string | number>, msg: string): never => {
    throw new NamespaceSpecError(`${where(path)}: ${msg}`);
  };
  const str = (v: unknown, path: string[]): string => (typeof v === 'string' ? v : fail(path, `${path.join('.')} must be a string`));
  const strList = (v: unknown, path: string[]): string[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : fail(path, `${path.join('.')} must be a list of strings`);
  for (const k of Object.keys(data)) if (!TOP_KEYS.has(k)) fail([k], `invalid key "${k}" in namespace specification`);
  if (data.name === undefined) fail([], 'namespace specification must have a name');
  const spec: NamespaceSpec = { Name: str(data.name, ['name']) };
  if (data.description !== undefined) spec.Description = str(data.description, ['description']);
  if (data.quota !== undefined) spec.Quota = str(data.quota, ['quota']);
  if (data.capabilities !== undefined) {
    const caps = Array.isArray(data.capabilities) ? data.capabilities[0] : data.capabilities;
    if (!isObj(caps)) return fail(['capabilities'], 'capabilities must be a block');
    for (const k of Object.keys(caps)) if (!CAPABILITY_KEYS.has(k)) fail(['capabilities', k], `invalid key "${k}" in capabilities`);
    spec.Capabilities = {
      EnabledTaskDrivers: caps.enabled_task_drivers === undefined ? null : strList(caps.enabled_task_drivers, ['capabilities', 'enabled_task_drivers']),
      DisabledTaskDrivers: caps.disabled_task_drivers === undefined ? null : strList(caps.disabled_task_drivers, ['capabilities', 'disabled_task_drivers']),
    };
  }
  if (data.meta !== undefined) {
    const meta = Array.isArray(data.meta) ? data.meta[0] : data.meta;
    if (!isObj(meta)) return fail(['meta'], 'meta must be a block of strings');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(meta)) out[k] = str(v, ['meta', k]);
    spec.Meta = out;
  }
  return spec;
}
