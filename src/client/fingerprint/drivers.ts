// Each driver's fingerprint into Node.Drivers and `driver.<name>` attributes. A driver that
// throws or takes too long is reported unhealthy rather than holding up the node.
import type { TaskDriver } from '../../drivers/driver.js';
import type { DriverInfo } from '../../structs/node.js';
import { nowNs, rfc3339Nano } from '../../structs/time.js';

/** A driver gets this long to fingerprint on the startup path. */
export const DRIVER_FINGERPRINT_TIMEOUT_MS = 250;

export async function fingerprintDrivers(drivers: Map<string, TaskDriver>): Promise<Record<string, DriverInfo>> {
  const out: Record<string, DriverInfo> = {};
  await Promise.all(
    [...drivers.values()].map(async (d) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const fp = await Promise.race([
          d.fingerprint(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('fingerprint timed out')), DRIVER_FINGERPRINT_TIMEOUT_MS))),
        ]);
        out[d.name] = {
          Attributes: Object.keys(fp.Attributes).length > 0 ? fp.Attributes : null,
          Detected: fp.Detected,
          Healthy: fp.Healthy,
          HealthDescription: fp.HealthDescription,
          UpdateTime: rfc3339Nano(nowNs()),
        };
      } catch (err) {
        out[d.name] = { Attributes: null, Detected: false, Healthy: false, HealthDescription: (err as Error).message, UpdateTime: rfc3339Nano(nowNs()) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return out;
}

/** Node.Attributes from driver infos: driver.<name> = "1" when usable, plus the drivers' own attributes. */
export function driverAttributes(infos: Record<string, DriverInfo>): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const [name, info] of Object.entries(infos)) {
    if (!info.Detected || !info.Healthy) continue;
    for (const [k, v] of Object.entries(info.Attributes ?? {})) if (k !== `driver.${name}`) attrs[k] = v;
    attrs[`driver.${name}`] = '1';
  }
  return attrs;
}

/** True when the change matters to the servers (health or attributes), not just a new timestamp. */
export function driversChanged(a: Record<string, DriverInfo>, b: Record<string, DriverInfo>): boolean {
  const strip = (m: Record<string, DriverInfo>) =>
    JSON.stringify(
      Object.keys(m)
        .sort()
        .map((k) => [k, m[k]!.Detected, m[k]!.Healthy, m[k]!.HealthDescription, m[k]!.Attributes]),
    );
  return strip(a) !== strip(b);
}
