// A small router: routes are paths of literal segments, ":param" segments and a trailing "*"
// (the rest of the path). Lookup walks a tree of segments, so it costs the path's depth, not
// the number of routes.

export type Params = Record<string, string>;

interface Handlers<H> {
  byMethod: Map<string, H>;
  /** The route as it was added ("/v1/job/:id"), for names that must not depend on the IDs in a path. */
  pattern: string;
}

interface RouteNode<H> {
  literal: Map<string, RouteNode<H>>;
  param: { name: string; node: RouteNode<H> } | null;
  rest: { name: string; handlers: Handlers<H> } | null;
  handlers: Handlers<H>;
}

function newNode<H>(): RouteNode<H> {
  return { literal: new Map(), param: null, rest: null, handlers: { byMethod: new Map(), pattern: '' } };
}

export interface RouteMatch<H> {
  handler: H | null;
  params: Params;
  /** Methods the path accepts (for 405 answers). */
  allowed: string[];
  /** The matched route as added, e.g. "/v1/job/:id/allocations". */
  pattern: string;
}

export class Router<H> {
  private readonly root = newNode<H>();

  add(methods: string[], path: string, handler: H): this {
    let node = this.root;
    const segs = path.split('/').filter(Boolean);
    for (const [i, seg] of segs.entries()) {
      if (seg.startsWith('*')) {
        if (i !== segs.length - 1) throw new Error(`route ${path}: "*" must be last`);
        node.rest ??= { name: seg.slice(1) || 'rest', handlers: { byMethod: new Map(), pattern: path } };
        for (const m of methods) node.rest.handlers.byMethod.set(m, handler);
        return this;
      }
      if (seg.startsWith(':')) {
        node.param ??= { name: seg.slice(1), node: newNode() };
        node = node.param.node;
      } else {
        let next = node.literal.get(seg);
        if (!next) node.literal.set(seg, (next = newNode()));
        node = next;
      }
    }
    for (const m of methods) node.handlers.byMethod.set(m, handler);
    node.handlers.pattern = path;
    return this;
  }

  match(method: string, rawPath: string): RouteMatch<H> | null {
    const segs = rawPath.split('/').filter(Boolean);
    const params: Params = {};
    const found = this.walk(this.root, segs, 0, params);
    if (!found) return null;
    return { handler: found.byMethod.get(method) ?? null, params, allowed: [...found.byMethod.keys()], pattern: found.pattern };
  }

  private walk(node: RouteNode<H>, segs: string[], i: number, params: Params): Handlers<H> | null {
    if (i === segs.length) return node.handlers.byMethod.size > 0 ? node.handlers : node.rest ? (params[node.rest.name] = '', node.rest.handlers) : null;
    const seg = segs[i]!;
    const lit = node.literal.get(seg);
    if (lit) {
      const r = this.walk(lit, segs, i + 1, params);
      if (r) return r;
    }
    if (node.param) {
      const r = this.walk(node.param.node, segs, i + 1, params);
      if (r) {
        params[node.param.name] = safeDecode(seg);
        return r;
      }
    }
    if (node.rest) {
      params[node.rest.name] = segs.slice(i).map(safeDecode).join('/');
      return node.rest.handlers;
    }
    return null;
  }
}

const UTF8 = new TextDecoder('utf-8');

/**
 * Percent-decodes a path segment. Bytes that are not UTF-8 (a lone surrogate escaped as
 * %ED%BF%BF, a stray %FF) become U+FFFD, as in the IDs stored from JSON bodies, so that an ID
 * written with a lone surrogate stays reachable however a client escaped it.
 */
function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s[i] === '%' ? s.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  // A surrogate in (invalid) UTF-8, ED A0..BF 80..BF, is one character: one U+FFFD, not three.
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0xed && bytes[i + 1]! >= 0xa0 && bytes[i + 1]! <= 0xbf && bytes[i + 2]! >= 0x80 && bytes[i + 2]! <= 0xbf) bytes.splice(i, 3, 0xef, 0xbf, 0xbd);
  }
  return UTF8.decode(new Uint8Array(bytes));
}
