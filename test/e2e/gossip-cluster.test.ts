// Three gossip members as separate processes on 127.0.0.1-3: join, crash detection, force-leave,
// coming back, graceful leave. Every wait polls an observable condition with a bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Member } from '../../src/gossip/types.js';
import { freePort } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const ENTRY = join(here, '..', '..', 'src', 'gossip', 'standalone.js');
const POLL_MS = 100;

class MemberProcess {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<{ port: number }>;
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(readonly name: string, readonly addr: string, port: number, joinAddrs: string[]) {
    const args = [ENTRY, '--name', name, '--bind', addr, '--port', String(port)];
    if (joinAddrs.length > 0) args.push('--join', joinAddrs.join(','));
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    let onReady: (v: { port: number }) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve;
      void this.exited.then((code) => reject(new Error(`${name} exited with ${code} before ready: ${this.stderr}`)));
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; port?: number; id?: number; ok?: boolean; result?: unknown; error?: string };
      if (msg.ready === true) onReady({ port: msg.port! });
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.ok === true) p?.resolve(msg.result);
        else p?.reject(new Error(msg.error));
      }
    });
  }

  call(cmd: string, extra: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, ...extra })}\n`);
    });
  }

  members(): Promise<Member[]> {
    return this.call('members') as Promise<Member[]>;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Polls until `check` holds for every process, or fails after `boundMs` with the last view. */
async function waitFor(what: string, procs: MemberProcess[], check: (members: Member[]) => boolean, boundMs: number): Promise<number> {
  const startMs = Date.now();
  let last = '';
  for (;;) {
    const views = await Promise.all(procs.map((p) => p.members()));
    if (views.every(check)) return Date.now() - startMs;
    last = views.map((v, i) => `${procs[i]!.name}: ${v.map((m) => `${m.name}=${m.status}`).join(' ')}`).join(' | ');
    if (Date.now() - startMs > boundMs) assert.fail(`${what} not reached within ${boundMs} ms; views: ${last}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function statusOf(members: Member[], name: string): string | undefined {
  return members.find((m) => m.name === name)?.status;
}

test('three member processes: join, crash, force-leave, return, leave', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const seed = `127.0.0.1:${port}`;
  const procs: MemberProcess[] = [];
  try {
    const a = new MemberProcess('m1', '127.0.0.1', port, []);
    procs.push(a);
    await a.ready;
    const b = new MemberProcess('m2', '127.0.0.2', port, [seed]);
    const c = new MemberProcess('m3', '127.0.0.3', port, [seed]);
    procs.push(b, c);
    await Promise.all([b.ready, c.ready]);

    const allAlive = (ms: Member[]): boolean => ['m1', 'm2', 'm3'].every((n) => statusOf(ms, n) === 'alive');
    await waitFor('all alive', [a, b, c], allAlive, 10_000);
    const view = await a.members();
    const m2 = view.find((m) => m.name === 'm2')!;
    assert.equal(m2.addr, '127.0.0.2');
    assert.equal(m2.port, port);
    assert.equal(m2.protocolMax, 5);
    assert.equal(m2.delegateCur, 4);

    c.kill();
    await c.exited;
    const detectMs = await waitFor('m3 failed', [a, b], (ms) => statusOf(ms, 'm3') === 'failed', 15_000);
    // Nobody else may have been accused on the way.
    for (const p of [a, b]) assert.ok(allAliveExcept(await p.members(), 'm3'), `${p.name} saw a false failure`);

    assert.equal(await a.call('force-leave', { name: 'm3' }), true);
    await waitFor('m3 left', [a, b], (ms) => statusOf(ms, 'm3') === 'left', 10_000);

    const c2 = new MemberProcess('m3', '127.0.0.3', port, [seed]);
    procs.push(c2);
    await c2.ready;
    await waitFor('m3 back', [a, b, c2], allAlive, 15_000);

    await b.call('leave');
    await b.exited;
    await waitFor('m2 left', [a, c2], (ms) => statusOf(ms, 'm2') === 'left', 10_000);
    // A graceful leave never turns into a failure later.
    for (const p of [a, c2]) assert.equal(statusOf(await p.members(), 'm2'), 'left');

    const stats = (await a.call('stats')) as { core: { badPackets: number }; members: Record<string, number> };
    assert.equal(stats.core.badPackets, 0);
    assert.ok(detectMs < 15_000);
  } finally {
    for (const p of procs) p.kill();
  }
});

function allAliveExcept(ms: Member[], except: string): boolean {
  return ms.every((m) => m.name === except || m.status === 'alive' || m.status === 'suspect');
}
