// The drivers compiled into the agent. exec, java and docker plug in here when they exist.
import type { DriverContext, TaskDriver } from './driver.js';
import { MockDriver } from './mock.js';
import { RawExecDriver } from './raw_exec.js';

export function builtinDrivers(ctx: DriverContext): Map<string, TaskDriver> {
  const drivers: TaskDriver[] = [new RawExecDriver(ctx), new MockDriver(ctx)];
  return new Map(drivers.map((d) => [d.name, d]));
}
