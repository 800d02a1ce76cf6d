// The escape sequence of `nomad alloc exec` with a terminal: at the start of a line, the escape
// character followed by "." ends the session; typed twice it sends itself once. Anything else
// passes through unchanged.

export class EscapeFilter {
  private atLineStart = true;
  private pending = false;

  constructor(private readonly escape: number) {}

  /** The bytes to send for `chunk`, and whether the user asked to disconnect. */
  push(chunk: Uint8Array): { send: Buffer; disconnect: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.pending) {
        this.pending = false;
        if (b === 0x2e) return { send: Buffer.from(out), disconnect: true };
        if (b !== this.escape) out.push(this.escape);
        out.push(b);
      } else if (this.atLineStart && b === this.escape) {
        this.pending = true;
        continue;
      } else {
        out.push(b);
      }
      this.atLineStart = b === 0x0d || b === 0x0a;
    }
    return { send: Buffer.from(out), disconnect: false };
  }
}
