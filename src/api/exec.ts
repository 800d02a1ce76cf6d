// `nomad alloc exec` on the client side: a WebSocket to /v1/client/allocation/:id/exec speaking
// Nomad's frames (stdin, tty_size out; stdout, stderr, exited in).
import type { WebSocket } from 'ws';
import { ApiError } from './errors.js';
import { esc, type HttpTransport } from './http.js';

export interface ExecOutput {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
}

/** The agent ended the session without an exit code (a refusal after the upgrade). */
export class ExecClosedError extends Error {
  constructor(
    readonly code: number,
    reason: string,
  ) {
    super(reason || `connection closed with code ${code}`);
    this.name = 'ExecClosedError';
  }
}

interface InFrame {
  stdout?: { data?: string; close?: boolean };
  stderr?: { data?: string; close?: boolean };
  exited?: boolean;
  result?: { exit_code?: number };
}

export class ExecSession {
  /** The command's exit code; rejects when the agent refused or the connection broke. */
  readonly exitCode: Promise<number>;

  private constructor(
    private readonly ws: WebSocket,
    out: ExecOutput,
  ) {
    this.exitCode = new Promise((resolve, reject) => {
      let exit: number | null = null;
      ws.on('message', (raw) => {
        let f: InFrame;
        try {
          f = JSON.parse(raw.toString()) as InFrame;
        } catch {
          return;
        }
        if (f.stdout?.data) out.stdout(Buffer.from(f.stdout.data, 'base64'));
        if (f.stderr?.data) out.stderr(Buffer.from(f.stderr.data, 'base64'));
        if (f.exited) exit = f.result?.exit_code ?? 0;
      });
      ws.on('close', (code, reason) => (exit !== null ? resolve(exit) : reject(new ExecClosedError(code, reason.toString()))));
      ws.on('error', (err) => reject(err));
    });
  }

  /** Opens the session; rejects with ApiError when the agent refuses before upgrading. */
  static async open(http: HttpTransport, allocId: string, task: string, command: string[], tty: boolean, out: ExecOutput, namespace?: string): Promise<ExecSession> {
    const params = { task, command: JSON.stringify(command), tty: String(tty) };
    const ws = await http.webSocket(`/v1/client/allocation/${esc(allocId)}/exec`, { params, ...(namespace ? { namespace } : {}) });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(new ApiError(res.statusCode ?? 0, Buffer.concat(chunks as unknown as Uint8Array[]).toString('utf8'))));
      });
    });
    return new ExecSession(ws, out);
  }

  private send(frame: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  }

  sendStdin(data: Buffer): void {
    if (data.length > 0) this.send({ stdin: { data: data.toString('base64') } });
  }

  closeStdin(): void {
    this.send({ stdin: { close: true } });
  }

  resize(height: number, width: number): void {
    this.send({ tty_size: { height, width } });
  }

  /** Ends the session from this side. */
  close(): void {
    this.ws.close();
  }
}
