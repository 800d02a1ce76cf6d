// The FSM: applies committed log entries to the state store, one write transaction per entry.
import type { LogEntry } from './log-entries.js';
import type { StateStore } from './store.js';

export interface FSMLogger {
  debug(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export class FSM {
  constructor(readonly store: StateStore, _options: { logger?: FSMLogger } = {}) {}
  apply(_index: number, _entry: LogEntry): unknown {
    throw new Error('not yet');
  }
  snapshot(): Uint8Array {
    throw new Error('not yet');
  }
  restore(_data: Uint8Array): void {
    throw new Error('not yet');
  }
}
