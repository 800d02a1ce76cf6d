// A compiled ACL: the rules of a token's policies merged into one object that answers "may this
// caller do X" in a map lookup. Exact namespace names win over globs; among globs the one that
// matches most closely (fewest characters left to the "*") wins; deny anywhere in the merged
// capabilities of a namespace denies everything there.
import {
  maxDisposition,
  type CoarseRule,
  type Disposition,
  type HostVolumeCapability,
  type NamespaceCapability,
  type Policy,
} from './policy.js';

type Level = 'read' | 'write';

interface GlobRule<C> {
  pattern: string;
  re: RegExp;
  /** Characters of the pattern that are not "*": more means a closer match. */
  literalLength: number;
  capabilities: Set<C>;
}

function globRe(pattern: string): RegExp {
  return new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*') + '$');
}

class RuleSet<C extends string> {
  private readonly exact = new Map<string, Set<C>>();
  private readonly globs: Array<GlobRule<C>> = [];

  add(name: string, caps: readonly C[]): void {
    if (!name.includes('*')) {
      const set = this.exact.get(name) ?? new Set<C>();
      for (const c of caps) set.add(c);
      this.exact.set(name, set);
      return;
    }
    let g = this.globs.find((x) => x.pattern === name);
    if (!g) {
      g = { pattern: name, re: globRe(name), literalLength: name.replace(/\*/g, '').length, capabilities: new Set() };
      this.globs.push(g);
    }
    for (const c of caps) g.capabilities.add(c);
  }

  /** The capabilities that apply to `name`: its exact rule, else the closest matching glob. */
  lookup(name: string): ReadonlySet<C> | undefined {
    const exact = this.exact.get(name);
    if (exact) return exact;
    let best: GlobRule<C> | undefined;
    for (const g of this.globs) {
      if (!g.re.test(name)) continue;
      if (!best || g.literalLength > best.literalLength) best = g;
    }
    return best?.capabilities;
  }

  /** Every rule's capabilities (for "may the caller do X in some namespace"). */
  all(): Iterable<ReadonlySet<C>> {
    return [...this.exact.values(), ...this.globs.map((g) => g.capabilities)];
  }

  get empty(): boolean {
    return this.exact.size === 0 && this.globs.length === 0;
  }
}

export class Acl {
  private readonly namespaces = new RuleSet<NamespaceCapability>();
  private readonly hostVolumes = new RuleSet<HostVolumeCapability>();
  private readonly coarse: Partial<Record<CoarseRule, Disposition>> = {};

  private constructor(readonly management: boolean) {}

  /** A management token's ACL: everything is allowed. */
  static readonly MANAGEMENT = new Acl(true);

  /** Merges policies into one ACL (deny wins; otherwise the union of what each grants). */
  static compile(policies: readonly Policy[]): Acl {
    const acl = new Acl(false);
    for (const p of policies) {
      for (const ns of p.namespaces) acl.namespaces.add(ns.name, ns.capabilities);
      for (const hv of p.hostVolumes) acl.hostVolumes.add(hv.name, hv.capabilities);
      for (const [rule, disposition] of Object.entries(p.coarse) as Array<[CoarseRule, Disposition]>) {
        acl.coarse[rule] = maxDisposition(acl.coarse[rule], disposition);
      }
    }
    return acl;
  }

  allowNamespaceOperation(namespace: string, capability: NamespaceCapability): boolean {
    if (this.management) return true;
    const caps = this.namespaces.lookup(namespace);
    return caps !== undefined && !caps.has('deny') && caps.has(capability);
  }

  /** Whether any of the capabilities is allowed in the namespace. */
  allowNamespaceAny(namespace: string, capabilities: readonly NamespaceCapability[]): boolean {
    return capabilities.some((c) => this.allowNamespaceOperation(namespace, c));
  }

  /** Whether the caller may see the namespace at all (any capability other than deny). */
  allowNamespace(namespace: string): boolean {
    if (this.management) return true;
    const caps = this.namespaces.lookup(namespace);
    return caps !== undefined && !caps.has('deny') && caps.size > 0;
  }

  /** Whether some namespace rule allows one of the capabilities (for requests across all namespaces). */
  allowInSomeNamespace(capabilities: readonly NamespaceCapability[]): boolean {
    if (this.management) return true;
    for (const caps of this.namespaces.all()) {
      if (!caps.has('deny') && capabilities.some((c) => caps.has(c))) return true;
    }
    return false;
  }

  allowHostVolumeOperation(volume: string, capability: HostVolumeCapability): boolean {
    if (this.management) return true;
    const caps = this.hostVolumes.lookup(volume);
    return caps !== undefined && !caps.has('deny') && caps.has(capability);
  }

  /** agent, node, operator, quota: read is allowed by read or write; write only by write. */
  allow(rule: Exclude<CoarseRule, 'plugin'>, level: Level): boolean {
    if (this.management) return true;
    const d = this.coarse[rule];
    return level === 'read' ? d === 'read' || d === 'write' : d === 'write';
  }

  /** plugin: list is allowed by list or read; read only by read. */
  allowPlugin(level: 'list' | 'read'): boolean {
    if (this.management) return true;
    const d = this.coarse.plugin;
    return level === 'list' ? d === 'list' || d === 'read' : d === 'read';
  }

  /** True when the ACL grants nothing at all. */
  get grantsNothing(): boolean {
    return !this.management && this.namespaces.empty && this.hostVolumes.empty && Object.keys(this.coarse).length === 0;
  }
}
