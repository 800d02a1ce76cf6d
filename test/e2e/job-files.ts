// Job files as the walks, the agent benchmark and the job parser's tests write them: the
// getting-started example and small raw_exec jobs of one group "g" with one task "t". One
// writer keeps the texts alike wherever a test or a figure depends on the same job.

export interface ExampleJob {
  count: number;
  /** The job's update block, as durations in Nomad's syntax. */
  minHealthyTime: string;
  healthyDeadline: string;
  progressDeadline: string;
  /** What the "redis" task runs with `/bin/sh -c`. */
  script: string;
}

/** `nomad job init`'s example, adapted to raw_exec: group "cache", task "redis", a dynamic port "db". */
export function exampleJob(j: ExampleJob): string {
  return `job "example" {
  datacenters = ["dc1"]
  type        = "service"
  update {
    max_parallel      = 1
    min_healthy_time  = "${j.minHealthyTime}"
    healthy_deadline  = "${j.healthyDeadline}"
    progress_deadline = "${j.progressDeadline}"
    auto_revert       = false
    canary            = 0
  }
  group "cache" {
    count = ${j.count}
    network {
      port "db" {}
    }
    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }
    task "redis" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", ${JSON.stringify(j.script)}]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;
}

export interface RawExecJob {
  name: string;
  /** Absent: a service job, the default type, and no type line. */
  type?: 'batch';
  /** Absent: no region line (the job runs where it is sent). */
  region?: string;
  /** Absent: no count line (one allocation). */
  count?: number;
  /** For batches of short tasks: no restarts, so a failure fails the allocation at once. */
  noRestart?: boolean;
  command: string;
  args?: string[];
  cpu: number;
  memoryMB: number;
}

/** A job of one group "g" with one raw_exec task "t". */
export function rawExecJob(j: RawExecJob): string {
  const lines = [`job "${j.name}" {`, '  datacenters = ["dc1"]'];
  if (j.type !== undefined) lines.push(`  type        = "${j.type}"`);
  if (j.region !== undefined) lines.push(`  region      = "${j.region}"`);
  lines.push('  group "g" {');
  if (j.count !== undefined) lines.push(`    count = ${j.count}`);
  if (j.noRestart) lines.push('    restart {', '      attempts = 0', '      mode     = "fail"', '    }');
  lines.push('    task "t" {', '      driver = "raw_exec"', '      config {', `        command = ${JSON.stringify(j.command)}`);
  if (j.args !== undefined) lines.push(`        args    = [${j.args.map((a) => JSON.stringify(a)).join(', ')}]`);
  lines.push('      }', '      resources {', `        cpu    = ${j.cpu}`, `        memory = ${j.memoryMB}`, '      }', '    }', '  }', '}', '');
  return lines.join('\n');
}

/** `count` allocations that each run /bin/true once and complete: the transcript's batch job. */
export function batchTrueJob(name: string, count: number): string {
  return rawExecJob({ name, type: 'batch', count, noRestart: true, command: '/bin/true', cpu: 20, memoryMB: 10 });
}

/** A service whose task sleeps until it is stopped. */
export function sleepJob(name: string, cpu: number, memoryMB: number): string {
  return rawExecJob({ name, command: '/bin/sleep', args: ['1000'], cpu, memoryMB });
}
