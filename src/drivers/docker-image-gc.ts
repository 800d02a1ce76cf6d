// Removes an image once no task of this client uses it, after a delay (Nomad's
// gc { image_delay }), so that a task restarting soon after does not pull it again.
export class ImageGc {
  private readonly users = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly delayMs: number,
    private readonly enabled: boolean,
    private readonly remove: (imageId: string) => Promise<void>,
  ) {}

  acquire(imageId: string): void {
    this.users.set(imageId, (this.users.get(imageId) ?? 0) + 1);
    const t = this.timers.get(imageId);
    if (t) clearTimeout(t);
    this.timers.delete(imageId);
  }

  release(imageId: string): void {
    const n = (this.users.get(imageId) ?? 0) - 1;
    if (n > 0) {
      this.users.set(imageId, n);
      return;
    }
    this.users.delete(imageId);
    if (!this.enabled || this.timers.has(imageId)) return;
    const t = setTimeout(() => {
      this.timers.delete(imageId);
      if (this.users.has(imageId)) return;
      // The engine refuses (409) while any container, ours or not, still uses the image: fine.
      void this.remove(imageId).catch(() => undefined);
    }, this.delayMs);
    t.unref();
    this.timers.set(imageId, t);
  }

  pending(): string[] {
    return [...this.timers.keys()];
  }
}
