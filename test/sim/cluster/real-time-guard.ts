// While a simulation runs, nothing it drives may read the real clock, arm a real timer or draw
// real randomness: any of those would make a seed replay differently. The guard swaps the global
// sources for ones that record the call (with its stack) and throw, and puts them back after.
import { performance } from 'node:perf_hooks';

/** The real setImmediate, kept for the simulation's own microtask drain. */
export const realSetImmediate: typeof setImmediate = setImmediate;

export interface Violation {
  readonly source: string;
  readonly stack: string;
}

type Patch = { target: object; key: string; original: unknown };

export class RealTimeGuard {
  readonly violations: Violation[] = [];
  private patches: Patch[] = [];

  install(): void {
    if (this.patches.length > 0) return;
    const g = globalThis as unknown as Record<string, unknown>;
    const RealDate = Date;
    const guard = this;
    const GuardedDate = function (this: unknown, ...args: unknown[]): unknown {
      if (!new.target) return guard.refuse('Date()');
      if (args.length === 0) guard.refuse('new Date()');
      return Reflect.construct(RealDate, args, new.target);
    } as unknown as DateConstructor;
    Object.setPrototypeOf(GuardedDate, RealDate);
    (GuardedDate as unknown as { prototype: Date }).prototype = RealDate.prototype;
    (GuardedDate as unknown as { now: () => number }).now = () => this.refuse('Date.now');
    this.patch(g, 'Date', GuardedDate);
    this.patch(Math, 'random', () => this.refuse('Math.random'));
    this.patch(performance, 'now', () => this.refuse('performance.now'));
    this.patch(g, 'setTimeout', () => this.refuse('setTimeout'));
    this.patch(g, 'setInterval', () => this.refuse('setInterval'));
    this.patch(g, 'setImmediate', () => this.refuse('setImmediate'));
    const hrtime = Object.assign(() => this.refuse('process.hrtime'), { bigint: () => this.refuse('process.hrtime.bigint') });
    this.patch(process, 'hrtime', hrtime);
    const webCrypto = g['crypto'] as Record<string, unknown> | undefined;
    if (webCrypto) this.patch(webCrypto, 'randomUUID', () => this.refuse('crypto.randomUUID'));
  }

  uninstall(): void {
    for (const p of this.patches.reverse()) {
      Object.defineProperty(p.target, p.key, { value: p.original, writable: true, configurable: true });
    }
    this.patches = [];
  }

  private patch(target: object, key: string, value: unknown): void {
    this.patches.push({ target, key, original: (target as Record<string, unknown>)[key] });
    Object.defineProperty(target, key, { value, writable: true, configurable: true });
  }

  private refuse(source: string): never {
    const stack = (new Error(source).stack ?? '').split('\n').slice(2, 9).join('\n');
    this.violations.push({ source, stack });
    throw new Error(`the simulation read real time or randomness: ${source}`);
  }
}
