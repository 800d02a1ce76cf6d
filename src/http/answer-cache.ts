// Answers of reads, shared by every request that asks the same thing: when one write wakes 500
// blocking queries on /v1/jobs, the list is built and encoded once and its bytes go to all 500.
//
// An answer made from one state (the store's commit count) is given to any request that arrived
// at that state or before: it shows everything the caller could expect to see. While writes keep
// coming, a blocking query may also get the answer still being made for a slightly older state
// when that answer is past the index the caller has seen: it is news to the caller, which comes
// back for the rest. So under a stream of writes one encoding per read is in flight, not one per
// write. An answer that follows from its watched keys alone (and the caller's ACL) also goes to
// requests that arrived after writes that touched none of those: the placements and allocation
// updates that come during a wave of job-list answers then do not each make the list again.
// Large answers are shared while they are being made but not
// kept after, so that an idle agent does not hold a 100 MB answer nobody asks for again.
import type { AnswerBody } from './answer-body.js';

export interface SharedAnswer {
  /** X-Nomad-Index of the answer: the state it shows is at least this recent. */
  index: number;
  body: AnswerBody;
}

interface Entry {
  stateVersion: number;
  /** What the answer was made from (see get), or null when it may depend on anything. */
  source: string | null;
  answer: SharedAnswer;
  /** Counted in keptBytes (finished and small enough to keep). */
  kept: boolean;
}

export const DEFAULT_MAX_KEPT_ANSWER_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_KEPT_TOTAL_BYTES = 64 * 1024 * 1024;
/** Bound on entries, whatever their size. */
const MAX_ENTRIES = 1024;

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  /** Bytes of the finished entries kept. */
  private keptBytes = 0;

  constructor(
    private readonly maxKeptAnswerBytes = DEFAULT_MAX_KEPT_ANSWER_BYTES,
    private readonly maxKeptTotalBytes = DEFAULT_MAX_KEPT_TOTAL_BYTES,
  ) {}

  /**
   * The answer for `key` made from a state at least as new as `arrivedAt` (the state version
   * when the request came in), or from an older state with the same `source` (what names the
   * state of everything the answer is made from, when the caller can tell: the answer is then
   * the one the current state gives); or, for a blocking query that has seen `minIndex` (above
   * 0), one still being made from an older state that is past minIndex.
   */
  get(arrivedAt: number, key: string, minIndex = 0, source: string | null = null): SharedAnswer | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    const body = e.answer.body;
    if (body.error === null && (e.stateVersion >= arrivedAt || (source !== null && e.source === source))) return e.answer;
    if (minIndex > 0 && !body.done && body.error === null && e.answer.index > minIndex) return e.answer;
    // Made from an older state and finished: nobody is served it again.
    if (body.done || body.error !== null) this.remove(key, e);
    return undefined;
  }

  put(stateVersion: number, key: string, answer: SharedAnswer, source: string | null = null): void {
    const old = this.entries.get(key);
    if (old !== undefined) this.remove(key, old);
    const entry: Entry = { stateVersion, source, answer, kept: false };
    this.entries.set(key, entry);
    while (this.entries.size > MAX_ENTRIES) this.evictOldest();
    const settle = (): void => {
      if (this.entries.get(key) !== entry) return;
      if (answer.body.error !== null || answer.body.bytes > this.maxKeptAnswerBytes) {
        this.remove(key, entry);
        return;
      }
      entry.kept = true;
      this.keptBytes += answer.body.bytes;
      while (this.keptBytes > this.maxKeptTotalBytes && this.entries.size > 1) this.evictOldest();
    };
    if (answer.body.done || answer.body.error !== null) settle();
    else void answer.body.settled().then(settle);
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private remove(key: string, e: Entry): void {
    if (this.entries.get(key) === e) this.entries.delete(key);
    if (e.kept) {
      e.kept = false;
      this.keptBytes -= e.answer.body.bytes;
    }
  }

  private evictOldest(): void {
    const [key, e] = this.entries.entries().next().value as [string, Entry];
    this.remove(key, e);
  }
}
