// `nomad alloc exec` into a container: an exec instance of the engine, started on a connection
// the engine takes over; without a terminal its output is multiplexed as the logs are.
import type { Duplex } from 'node:stream';
import type { DockerClient } from './docker-api.js';
import { StdStreamDemuxer } from './docker-logs.js';
import type { ExecOptions, ExecSession, TtySize } from './exec-session.js';

const API_TIMEOUT_MS = 30_000;

export async function dockerExec(client: DockerClient, containerId: string, opts: ExecOptions): Promise<ExecSession> {
  const size = opts.tty && opts.ttySize ? [opts.ttySize.height, opts.ttySize.width] : undefined;
  const created = await client.json<{ Id: string }>('POST', `/containers/${containerId}/exec`, {
    body: { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: opts.tty, Cmd: opts.command, ...(size ? { ConsoleSize: size } : {}) },
    timeoutMs: API_TIMEOUT_MS,
  });
  const socket = await client.hijack(`/exec/${created.Id}/start`, { Detach: false, Tty: opts.tty, ...(size ? { ConsoleSize: size } : {}) });
  return new DockerExecSession(client, created.Id, socket, opts.tty);
}

class DockerExecSession implements ExecSession {
  readonly exited: Promise<number>;
  private readonly listeners: Array<(stream: 'stdout' | 'stderr', data: Buffer) => void> = [];

  constructor(
    private readonly client: DockerClient,
    private readonly execId: string,
    private readonly socket: Duplex,
    private readonly tty: boolean,
  ) {
    const emit = (stream: 'stdout' | 'stderr', data: Buffer): void => {
      for (const l of this.listeners) l(stream, data);
    };
    const demux = tty ? null : new StdStreamDemuxer({ write: (b) => emit('stdout', b) }, { write: (b) => emit('stderr', b) });
    socket.on('data', (c: Buffer) => (demux ? demux.push(new Uint8Array(c)) : emit('stdout', c)));
    socket.on('error', () => undefined);
    this.exited = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(async () => {
      const info = await client.json<{ ExitCode: number | null }>('GET', `/exec/${execId}/json`, { timeoutMs: API_TIMEOUT_MS }).catch(() => null);
      return info?.ExitCode ?? 1;
    });
  }

  onOutput(fn: (stream: 'stdout' | 'stderr', data: Buffer) => void): void {
    this.listeners.push(fn);
  }

  writeStdin(data: Buffer): void {
    if (this.socket.writable) this.socket.write(data as unknown as Uint8Array);
  }

  /**
   * Half-closes the connection: the engine closes the command's stdin. A terminal has no end of
   * input (the engine would hang it up, losing the output): with one, this does nothing.
   */
  closeStdin(): void {
    if (!this.tty) this.socket.end();
  }

  resize(size: TtySize): void {
    void this.client.call('POST', `/exec/${this.execId}/resize`, { query: { h: size.height, w: size.width }, timeoutMs: API_TIMEOUT_MS }).catch(() => undefined);
  }

  kill(): void {
    this.socket.destroy();
  }
}
