// Reads what `java -version` prints on stderr into Nomad's driver.java.* attributes. The JVM
// takes a few hundred milliseconds to answer, so the probe runs in the background and never
// holds up the client's start.
import { execFile } from 'node:child_process';

export interface JavaVersionInfo {
  version: string;
  runtime: string;
  vm: string;
}

/** Bound on the probe: a JVM that cannot answer within this is reported as not detected. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * `openjdk version "17.0.15" 2025-04-15` / `OpenJDK Runtime Environment (build ...)` /
 * `OpenJDK 64-Bit Server VM (build ..., mixed mode, sharing)`. Lines the JVM prints before
 * (e.g. "Picked up JAVA_TOOL_OPTIONS") are skipped.
 */
export function parseJavaVersion(output: string): JavaVersionInfo | null {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const i = lines.findIndex((l) => /\bversion "[^"]+"/.test(l));
  if (i < 0) return null;
  const version = /version "([^"]+)"/.exec(lines[i]!)![1]!;
  return { version, runtime: lines[i + 1] ?? '', vm: lines[i + 2] ?? '' };
}

export function probeJavaVersion(javaPath = 'java'): Promise<{ info: JavaVersionInfo | null; error: string }> {
  return new Promise((resolve) => {
    execFile(javaPath, ['-version'], { timeout: PROBE_TIMEOUT_MS }, (err, stdout, stderr) => {
      const info = parseJavaVersion(`${stderr}\n${stdout}`);
      if (info) resolve({ info, error: '' });
      else resolve({ info: null, error: err ? `failed to run java -version: ${err.message}` : 'unrecognised java -version output' });
    });
  });
}
