// Answers of reads, shared by every request that asks the same thing of the same state: when one
// write wakes 500 blocking queries on /v1/jobs, the list is built and encoded once and its bytes
// go to all 500. An entry is valid only for the state it was computed from (the store's commit
// count); large answers are shared while they are being made but not kept after, so that an idle
// agent does not hold a 100 MB answer nobody asks for again.
import type { AnswerBody } from './answer-body.js';

export interface SharedAnswer {
  /** X-Nomad-Index of the answer. */
  index: number;
  body: AnswerBody;
}

export const DEFAULT_MAX_KEPT_ANSWER_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_KEPT_TOTAL_BYTES = 64 * 1024 * 1024;
/** Bound on entries, whatever their size. */
const MAX_ENTRIES = 1024;

export class AnswerCache {
  private stateVersion = -1;
  private readonly entries = new Map<string, SharedAnswer>();
  /** Bytes of the finished entries. */
  private keptBytes = 0;

  constructor(
    private readonly maxKeptAnswerBytes = DEFAULT_MAX_KEPT_ANSWER_BYTES,
    private readonly maxKeptTotalBytes = DEFAULT_MAX_KEPT_TOTAL_BYTES,
  ) {}

  /** The answer computed for `key` at this state version, if any. */
  get(stateVersion: number, key: string): SharedAnswer | undefined {
    this.at(stateVersion);
    return this.entries.get(key);
  }

  put(stateVersion: number, key: string, answer: SharedAnswer): void {
    this.at(stateVersion);
    this.entries.set(key, answer);
    while (this.entries.size > MAX_ENTRIES) this.evictOldest();
    const settle = (): void => {
      if (this.entries.get(key) !== answer) return;
      if (answer.body.error !== null || answer.body.bytes > this.maxKeptAnswerBytes) {
        this.entries.delete(key);
        return;
      }
      this.keptBytes += answer.body.bytes;
      while (this.keptBytes > this.maxKeptTotalBytes && this.entries.size > 1) this.evictOldest();
    };
    if (answer.body.done || answer.body.error !== null) settle();
    else answer.body.onMore(function more() {
      if (answer.body.done || answer.body.error !== null) settle();
      else answer.body.onMore(more);
    });
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private at(stateVersion: number): void {
    if (stateVersion === this.stateVersion) return;
    this.stateVersion = stateVersion;
    this.entries.clear();
    this.keptBytes = 0;
  }

  private evictOldest(): void {
    const [key, answer] = this.entries.entries().next().value as [string, SharedAnswer];
    this.entries.delete(key);
    if (answer.body.done) this.keptBytes = Math.max(0, this.keptBytes - answer.body.bytes);
  }
}
