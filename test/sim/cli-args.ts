// Flags of the simulations' seed runners (`npm run sim -- --seeds N --from S ...`).

/** The non-negative integer after `name`, or `fallback` when the flag is absent; exits on a bad value. */
export function intArg(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} wants a non-negative integer, got "${args[i + 1] ?? ''}"`);
    process.exit(2);
  }
  return v;
}
