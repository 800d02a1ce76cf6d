// The receiving side of per-stream flow control: counts what the sender spent of its credit and
// hands credit back as the consumer takes data, in batches so WINDOW frames stay few.
import { INITIAL_WINDOW_BYTES } from './wire.js';

/** Credit is returned once the consumer has taken this much. */
const GRANT_BATCH_BYTES = INITIAL_WINDOW_BYTES / 4;

export class ReceiveWindow {
  /** Bytes received that have not been granted back yet. */
  private outstanding = 0;
  private consumedSinceGrant = 0;

  /**
   * Records bytes that arrived; false when the sender has gone past its credit by more than
   * `slackBytes` (a message bigger than the window may overdraw it by its own size).
   */
  received(bytes: number, slackBytes: number): boolean {
    this.outstanding += bytes;
    return this.outstanding <= INITIAL_WINDOW_BYTES + slackBytes;
  }

  /** Records bytes the consumer took; returns the credit to grant now (0: not yet). */
  consumed(bytes: number): number {
    this.consumedSinceGrant += bytes;
    if (this.consumedSinceGrant < GRANT_BATCH_BYTES) return 0;
    const grant = this.consumedSinceGrant;
    this.consumedSinceGrant = 0;
    this.outstanding -= grant;
    return grant;
  }
}
