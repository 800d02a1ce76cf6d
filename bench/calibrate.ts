// A fixed CPU-bound loop, timed: benchmark figures scale with how fast (how loaded) the machine
// is at the moment, and this figure, printed beside them, lets runs be compared.
import { performance } from 'node:perf_hooks';

export function cpuCalibrationMs(): number {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 10_000_000; i++) x += (i * i) % 7;
  const ms = performance.now() - t0;
  if (x < 0) throw new Error('unreachable');
  return ms;
}
