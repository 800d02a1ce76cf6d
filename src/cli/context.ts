// What a command needs from the world: output streams, the clock, the environment and the API
// client. Injected so tests run commands in-process against a local HTTP server.
import { createInterface } from 'node:readline';
import { createClient, type NomadClient } from '../api/index.js';
import { FlagSet, type Flags } from './flags.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Writes bytes to stdout as they are (log streaming). */
  write(chunk: string | Uint8Array): void;
  /** Aborted when the user interrupts (Ctrl-C), so following streams end cleanly. */
  interrupt?: AbortSignal;
  /** Whether stdout is a terminal (monitors redraw only then). */
  isTty: boolean;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Asks the user a question and returns the line answered; absent when nobody can answer. */
  ask?: (question: string) => Promise<string>;
  /** All of standard input (job dispatch -); process stdin when absent. */
  readStdin?: () => Promise<Uint8Array>;
}

export interface Command {
  /** Words after "nomad", e.g. "job run". */
  name: string;
  synopsis: string;
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t + '\n'),
    err: (t) => process.stderr.write(t + '\n'),
    write: (c) => process.stdout.write(c),
    isTty: Boolean(process.stdout.isTTY),
    nowMs: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    ask: askOnTerminal,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** One line from standard input after the question; empty when input ends first. */
function askOnTerminal(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    let answered = false;
    rl.question(`${question} `, (answer) => {
      answered = true;
      rl.close();
      resolve(answer.trim());
    });
    rl.on('close', () => {
      if (!answered) resolve('');
    });
  });
}

/** Adds the flags every command that talks to an agent accepts. */
export function withApiFlags(fs: FlagSet): FlagSet {
  return fs
    .string('address')
    .string('region')
    .string('namespace')
    .string('token')
    .bool('no-color')
    .string('ca-cert')
    .string('ca-path')
    .string('client-cert')
    .string('client-key')
    .string('tls-server-name')
    .bool('tls-skip-verify');
}

export function clientFrom(flags: Flags, io: Io): NomadClient {
  return createClient(
    {
      address: flags.string('address') || undefined,
      region: flags.string('region') || undefined,
      namespace: flags.string('namespace') || undefined,
      token: flags.string('token') || undefined,
      caCert: flags.string('ca-cert') || undefined,
      caPath: flags.string('ca-path') || undefined,
      clientCert: flags.string('client-cert') || undefined,
      clientKey: flags.string('client-key') || undefined,
      tlsServerName: flags.string('tls-server-name') || undefined,
      tlsSkipVerify: flags.isSet('tls-skip-verify') ? flags.bool('tls-skip-verify') : undefined,
    },
    io.env,
  );
}

export const API_FLAGS_HELP = `General Options:

  -address=<addr>
    The address of the agent's HTTP API. Overrides NOMAD_ADDR.
    Default: http://127.0.0.1:4646

  -region=<region>
    The region to send the request to. Overrides NOMAD_REGION.

  -namespace=<namespace>
    The namespace the request applies to. Overrides NOMAD_NAMESPACE.

  -token=<token>
    The ACL token to send. Overrides NOMAD_TOKEN.

  -no-color
    Print without terminal colors (output is never colored here).

  -ca-cert=<path>
    A PEM file of the CA that signs the agent's certificate. Overrides
    NOMAD_CACERT.

  -ca-path=<path>
    A directory of PEM CA certificates. Overrides NOMAD_CAPATH.

  -client-cert=<path>
    A PEM client certificate for agents that verify clients; needs
    -client-key. Overrides NOMAD_CLIENT_CERT.

  -client-key=<path>
    The unencrypted PEM key of -client-cert. Overrides NOMAD_CLIENT_KEY.

  -tls-server-name=<value>
    The name to verify the agent's certificate for. Overrides
    NOMAD_TLS_SERVER_NAME.

  -tls-skip-verify
    Do not verify the agent's certificate (not recommended). Overrides
    NOMAD_SKIP_VERIFY.`;
