// A binary min-heap ordered by a comparator: the ready queues of the eval broker, the plan
// queue and the delayed-eval timer all need "the best item first" in O(log n).

export class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Removes the first item matching pred; O(n), used only on rare paths (cancel, untrack). */
  removeWhere(pred: (item: T) => boolean): T | undefined {
    const a = this.items;
    const i = a.findIndex(pred);
    if (i < 0) return undefined;
    const found = a[i];
    const last = a.pop()!;
    if (i < a.length) {
      a[i] = last;
      this.siftDown(i);
      this.siftUp(i);
    }
    return found;
  }

  values(): readonly T[] {
    return this.items;
  }

  clear(): void {
    this.items.length = 0;
  }

  private siftUp(start: number): void {
    const a = this.items;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  private siftDown(start: number): void {
    const a = this.items;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < a.length && this.less(a[l]!, a[best]!)) best = l;
      if (r < a.length && this.less(a[r]!, a[best]!)) best = r;
      if (best === i) return;
      [a[i], a[best]] = [a[best]!, a[i]!];
      i = best;
    }
  }
}
