// Tracks which configuration is latest (in force as soon as it is in the log)
// and which is committed, across appends, truncations and compactions.
import { EMPTY_CONFIGURATION } from './configuration.js';
import type { Configuration, Entry } from './types.js';
import { EntryKind } from './types.js';

interface IndexedConfiguration {
  readonly index: number;
  readonly config: Configuration;
}

export class ConfigTracker {
  private base: IndexedConfiguration = { index: 0, config: EMPTY_CONFIGURATION };
  private inLog: IndexedConfiguration[] = [];

  reset(config: Configuration, index: number): void {
    this.base = { index, config };
    this.inLog = [];
  }

  onAppend(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.kind === EntryKind.Configuration && e.config) this.inLog.push({ index: e.index, config: e.config });
    }
  }

  onTruncate(fromIndex: number): void {
    while (this.inLog.length > 0 && (this.inLog[this.inLog.length - 1] as IndexedConfiguration).index >= fromIndex) this.inLog.pop();
  }

  onCompact(toIndex: number): void {
    while (this.inLog.length > 0 && (this.inLog[0] as IndexedConfiguration).index <= toIndex) {
      this.base = this.inLog.shift() as IndexedConfiguration;
    }
  }

  latest(): IndexedConfiguration {
    return this.inLog.length > 0 ? (this.inLog[this.inLog.length - 1] as IndexedConfiguration) : this.base;
  }

  /** The configuration in force at `index` (the last one at or before it). */
  at(index: number): IndexedConfiguration {
    let found = this.base;
    for (const c of this.inLog) {
      if (c.index > index) break;
      found = c;
    }
    return found;
  }
}
