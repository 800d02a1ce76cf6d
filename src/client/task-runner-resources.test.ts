// What the task runner hands the driver as the task's limits: the allocation's grant, including
// the cores the scheduler reserved, which isolating drivers pin the task to.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TaskConfig, TaskHandle } from '../drivers/driver.js';
import { MockDriver } from '../drivers/mock.js';
import { AllocDir } from './alloc-dir.js';
import { TaskRunner } from './task-runner.js';
import { makeAlloc, makeJob, makeTask } from '../../test/unit/client-fixtures.js';

const base = mkdtempSync(join(tmpdir(), 'task-runner-resources-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** The mock driver, remembering the config of every start. */
class RecordingDriver extends MockDriver {
  readonly starts: TaskConfig[] = [];
  override startTask(cfg: TaskConfig): Promise<TaskHandle> {
    this.starts.push(cfg);
    return super.startTask(cfg);
  }
}

async function startOnce(reservedCores: number[] | null): Promise<TaskConfig> {
  const task = makeTask('web', 'mock_driver', { run_for: '1ms' });
  const job = makeJob('batch', [task]);
  const alloc = makeAlloc(job);
  alloc.AllocatedResources!.Tasks['web']!.Cpu.ReservedCores = reservedCores;
  const allocDir = new AllocDir(base, alloc.ID);
  await allocDir.build();
  const driver = new RecordingDriver({ devMode: true, options: {}, pluginConfig: {}, cpuMhzPerCore: () => 2000 });
  const tr = new TaskRunner({ alloc, job, group: job.TaskGroups[0]!, task, driver, allocDir, node: () => null, region: 'global', maxKillTimeoutMs: 1_000, hostEnv: {}, onStateChange: () => undefined });
  await tr.run();
  assert.equal(driver.starts.length, 1);
  return driver.starts[0]!;
}

describe('task runner resources', () => {
  it('passes the reserved cores to the driver', async () => {
    const cfg = await startOnce([1, 3]);
    assert.deepEqual(cfg.resources, { cpuShares: 100, memoryMB: 64, memoryMaxMB: 0, reservedCores: [1, 3] });
  });

  it('leaves reservedCores out when none were reserved', async () => {
    const cfg = await startOnce(null);
    assert.equal('reservedCores' in cfg.resources, false);
  });
});
