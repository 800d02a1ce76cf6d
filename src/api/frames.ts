// Decodes Nomad's streaming file API: a sequence of JSON objects with no separator
// ({"Offset":..,"Data":"base64"}{} ...), where {} is a heartbeat. The decoder tracks brace depth
// outside strings, so objects split across chunks are reassembled.

export interface StreamFrame {
  File?: string;
  Offset?: number;
  Data?: string;
  FileEvent?: string;
}

/** Bound on one frame's encoded size; Nomad's frames are at most 64 KiB of data. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export class FrameDecoder {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Feeds a chunk; returns the frames it completed. */
  push(chunk: string): StreamFrame[] {
    this.buf += chunk;
    const out: StreamFrame[] = [];
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{') {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (c === '}') {
        this.depth--;
        if (this.depth === 0 && this.start >= 0) {
          out.push(JSON.parse(this.buf.slice(this.start, i + 1)) as StreamFrame);
          this.start = -1;
        }
      }
    }
    // Keep only the unfinished object, so memory stays bounded by one frame.
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      this.buf = this.buf.slice(this.start);
      this.scanned = this.buf.length;
      this.start = 0;
      if (this.buf.length > MAX_FRAME_BYTES) throw new Error(`stream frame larger than ${MAX_FRAME_BYTES} bytes`);
    }
    return out;
  }
}

/** The bytes a frame carries (heartbeats and file events carry none). */
export function frameData(f: StreamFrame): Buffer {
  return f.Data ? Buffer.from(f.Data, 'base64') : Buffer.alloc(0);
}
