// The operator's side of the simulation: job registrations (service and batch), updates, stops
// and re-registrations sent through random servers, as `nomad job run` / `job stop` would send
// them. Every write carries a unique generation in the job's Meta, so the checkers can tell which
// write a server's copy of the job comes from; each outcome is recorded: acknowledged (with the
// log index the server answered), refused, or unknown (the call broke or timed out).
import type { SeededRng } from '../../../src/raft/rng.js';
import type { DeregisterResponse, RegisterResponse } from '../../../src/server/job-endpoints.js';
import { NomadError } from '../../../src/structs/errors.js';
import { NS_PER_S } from '../../../src/structs/time.js';
import { HostLife, type SimLoop } from './sim-loop.js';
import type { SimNetwork } from './sim-net.js';
import { CLIENT_METHODS } from './sim-server.js';

export const OPS_HOST = 'ops';

export type WriteKind = 'register' | 'stop';

export interface JobWrite {
  readonly jobId: string;
  readonly kind: WriteKind;
  /** The Meta.gen of a register (unique); '' for a stop. */
  readonly gen: string;
  outcome: 'pending' | 'acked' | 'refused' | 'unknown';
  /** Log index of the entry, once acknowledged. */
  index: number;
  error?: string;
}

export interface WorkloadParams {
  maxJobs: number;
  /** Mean pause between two operations. */
  meanGapMs: number;
}

export class JobWorkload {
  readonly writes: JobWrite[] = [];
  private readonly jobs: string[] = [];
  /** Every generation ever sent, by job. */
  readonly issuedGens = new Map<string, Set<string>>();
  private readonly life: HostLife;
  private stopped = false;
  private seq = 0;

  constructor(
    private readonly loop: SimLoop,
    private readonly net: SimNetwork,
    private readonly servers: readonly string[],
    private readonly rng: SeededRng,
    private readonly params: WorkloadParams,
  ) {
    this.life = new HostLife(loop, OPS_HOST, 1);
  }

  start(): void {
    this.next();
  }

  /** No new operations; those in flight finish. */
  stop(): void {
    this.stopped = true;
  }

  get inFlight(): number {
    return this.writes.filter((w) => w.outcome === 'pending').length;
  }

  private next(): void {
    if (this.stopped) return;
    this.life.after(this.params.meanGapMs / 2 + this.rng.nextInt(this.params.meanGapMs), () => {
      if (this.stopped) return;
      this.operate();
      this.next();
    });
  }

  private operate(): void {
    const roll = this.rng.nextInt(100);
    if (this.jobs.length === 0 || (roll < 35 && this.jobs.length < this.params.maxJobs)) {
      const id = `job-${this.jobs.length + 1}`;
      this.jobs.push(id);
      this.register(id, this.rng.chance(0.7) ? 'service' : 'batch');
    } else if (roll < 80) {
      this.register(this.rng.pick(this.jobs), null);
    } else {
      this.stopJob(this.rng.pick(this.jobs));
    }
  }

  private typeOf = new Map<string, 'service' | 'batch'>();

  private register(jobId: string, type: 'service' | 'batch' | null): void {
    const jobType = type ?? this.typeOf.get(jobId) ?? 'service';
    this.typeOf.set(jobId, jobType);
    const gen = `g${++this.seq}`;
    let gens = this.issuedGens.get(jobId);
    if (!gens) this.issuedGens.set(jobId, (gens = new Set()));
    gens.add(gen);
    // Asks sized so that a few jobs fill the nodes: placements compete for room and some block.
    const count = jobType === 'batch' ? 1 + this.rng.nextInt(3) : 1 + this.rng.nextInt(4);
    const job = {
      ID: jobId,
      Name: jobId,
      Type: jobType,
      Datacenters: ['dc1'],
      Meta: { gen },
      TaskGroups: [
        {
          Name: 'g',
          Count: count,
          ReschedulePolicy: { Attempts: 2, Interval: 120 * NS_PER_S, Delay: 2 * NS_PER_S, DelayFunction: 'constant', MaxDelay: 10 * NS_PER_S, Unlimited: false },
          Tasks: [{ Name: 't', Driver: 'mock_driver', Config: {}, Resources: { CPU: 200 + 50 * this.rng.nextInt(12), MemoryMB: 128 * (1 + this.rng.nextInt(6)) } }],
        },
      ],
    };
    this.send({ jobId, kind: 'register', gen, outcome: 'pending', index: 0 }, CLIENT_METHODS.jobRegister, { Job: job });
  }

  private stopJob(jobId: string): void {
    this.send({ jobId, kind: 'stop', gen: '', outcome: 'pending', index: 0 }, CLIENT_METHODS.jobDeregister, { Namespace: 'default', JobID: jobId });
  }

  private send(w: JobWrite, method: string, args: unknown): void {
    this.writes.push(w);
    const server = this.rng.pick(this.servers);
    this.net.call(OPS_HOST, this.life, server, method, args, 10_000).then(
      (r) => {
        w.outcome = 'acked';
        w.index = (r as RegisterResponse | DeregisterResponse).Index;
      },
      (e: unknown) => {
        // Refused before anything was written, or unknown (the entry may have committed).
        const definite = e instanceof NomadError && (e.kind === 'bad_request' || e.kind === 'not_found');
        w.outcome = definite ? 'refused' : 'unknown';
        w.error = e instanceof Error ? e.message : String(e);
      },
    );
  }
}
