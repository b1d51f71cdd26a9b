/**
 * The fuzz run's knobs, read once: a fixed seed (CI reproduces any failure by
 * running with the seed it printed) and bounded counts, so the whole directory
 * stays within a few minutes on a 2-core machine.
 *
 *   FUZZ_SEED      the seed of every generator (default a constant)
 *   FUZZ_RUNS      runs per fast-check property (default 200)
 *   FUZZ_REQUESTS  HTTP requests the fuzzer sends in all (default 10,000)
 */
function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export const FUZZ_SEED = intFromEnv("FUZZ_SEED", 20261127, -(2 ** 31));
export const FUZZ_RUNS = intFromEnv("FUZZ_RUNS", 200, 1);
export const FUZZ_REQUESTS = intFromEnv("FUZZ_REQUESTS", 10_000, 1);

/** A seed per named generator: independent streams, all fixed by FUZZ_SEED. */
export function seedFor(name: string): number {
  let h = FUZZ_SEED | 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}
