// The drivers compiled into the agent.
import { DockerDriver } from './docker.js';
import type { DriverContext, TaskDriver } from './driver.js';
import { ExecDriver } from './exec.js';
import { JavaDriver } from './java.js';
import { MockDriver } from './mock.js';
import { RawExecDriver } from './raw_exec.js';

export function builtinDrivers(ctx: DriverContext): Map<string, TaskDriver> {
  const drivers: TaskDriver[] = [new RawExecDriver(ctx), new ExecDriver(ctx), new JavaDriver(ctx), new DockerDriver(ctx), new MockDriver(ctx)];
  return new Map(drivers.map((d) => [d.name, d]));
}
