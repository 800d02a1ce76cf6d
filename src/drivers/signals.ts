// Signal names as jobs write them ("SIGINT", "INT", "sigterm") to the numbers the OS uses.
import { constants } from 'node:os';

const SIGNALS = constants.signals as Record<string, number>;

/** Canonical name ("SIGINT") or null when the OS knows no such signal. */
export function normalizeSignal(name: string): NodeJS.Signals | null {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return full in SIGNALS ? (full as NodeJS.Signals) : null;
}

export function signalNumber(name: string): number {
  const n = normalizeSignal(name);
  return n === null ? 0 : SIGNALS[n]!;
}

/** The comma-separated list for the `os.signals` attribute. */
export function signalNames(): string[] {
  return Object.keys(SIGNALS);
}
