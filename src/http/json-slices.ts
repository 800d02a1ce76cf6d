// JSON text of an answer produced a slice at a time, so that a list of a hundred thousand
// evaluations is encoded in steps of a few milliseconds with other requests served in between,
// instead of one JSON.stringify that holds the event loop for seconds. The text is exactly what
// JSON.stringify(value) (or JSON.stringify(value, null, 4) + "\n" for ?pretty) gives.

/**
 * A list answer whose rows are made as they are encoded: `map` runs per item inside the slices
 * (a job's list row, an evaluation without its empty fields), not all up front. `rowText`, when
 * given, is the compact JSON text of map(item), typically remembered per stored object, so that
 * a list of which one row changed is not stringified whole again.
 */
export class JsonList<T = unknown> {
  constructor(
    readonly items: readonly T[],
    readonly map: (item: T) => unknown,
    readonly rowText?: (item: T) => string,
  ) {}

  /** The rows as a plain array (for callers that want the value itself). */
  toJSON(): unknown[] {
    return this.items.map((i) => this.map(i));
  }
}

/** Items encoded between two looks at the clock. */
const ITEMS_PER_CHECK = 32;
const PRETTY_INDENT = '    ';

export class JsonSlices {
  private readonly items: readonly unknown[] | null;
  private readonly map: (item: unknown) => unknown;
  private readonly rowText: ((item: unknown) => string) | null;
  private next = 0;
  private started = false;
  private finished = false;

  constructor(
    private readonly value: unknown,
    private readonly pretty: boolean,
  ) {
    this.rowText = null;
    if (value instanceof JsonList) {
      this.items = value.items;
      this.map = value.map as (item: unknown) => unknown;
      this.rowText = (value.rowText as ((item: unknown) => string) | undefined) ?? null;
    } else if (Array.isArray(value)) {
      this.items = value;
      this.map = (i) => i;
    } else {
      this.items = null;
      this.map = (i) => i;
    }
  }

  get done(): boolean {
    return this.finished;
  }

  /**
   * The next part of the text: as many items as fit before `now()` passes `deadline` (at least
   * one). Everything but a list is encoded whole in the first slice.
   */
  slice(deadline: number, now: () => number): string {
    if (this.finished) return '';
    if (this.items === null) {
      this.finished = true;
      return this.pretty ? (JSON.stringify(this.value, null, 4) ?? 'null') + '\n' : (JSON.stringify(this.value) ?? 'null');
    }
    const items = this.items;
    const parts: string[] = [];
    if (!this.started) {
      this.started = true;
      if (items.length === 0) {
        this.finished = true;
        return this.pretty ? '[]\n' : '[]';
      }
      parts.push('[');
    }
    while (this.next < items.length) {
      const end = Math.min(items.length, this.next + ITEMS_PER_CHECK);
      if (this.pretty) {
        for (; this.next < end; this.next++) {
          parts.push(this.next === 0 ? '\n' + PRETTY_INDENT : ',\n' + PRETTY_INDENT);
          parts.push(this.prettyItemText(items[this.next]));
        }
      } else if (this.rowText !== null) {
        for (; this.next < end; this.next++) {
          if (this.next > 0) parts.push(',');
          parts.push(this.rowText(items[this.next]));
        }
      } else {
        // One stringify per group of rows (cheaper than one per row), without its brackets.
        const rows = new Array<unknown>(end - this.next);
        for (let i = 0; i < rows.length; i++) rows[i] = this.map(items[this.next + i]);
        const text = JSON.stringify(rows);
        if (this.next > 0) parts.push(',');
        parts.push(text.slice(1, -1));
        this.next = end;
      }
      if (now() >= deadline) break;
    }
    if (this.next >= items.length) {
      this.finished = true;
      parts.push(this.pretty ? '\n]\n' : ']');
    }
    return parts.join('');
  }

  private prettyItemText(item: unknown): string {
    // JSON.stringify writes undefined, functions and symbols in arrays as null.
    const text = JSON.stringify(this.map(item), null, 4) ?? 'null';
    // Newlines only occur between tokens (inside strings they are escaped), so indenting the
    // item's lines nests it one level as JSON.stringify of the whole list would.
    return text.replaceAll('\n', '\n' + PRETTY_INDENT);
  }
}
