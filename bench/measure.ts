/** A figure over several runs. */
export interface Figure {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** Median, min and max of the values. */
export function figure(values: readonly number[]): Figure {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0, runs: sorted.length };
}

/** Runs `run` once to warm up, then `runs` times; returns each measured result. */
export async function repeat<T>(runs: number, run: (index: number) => Promise<T>): Promise<T[]> {
  await run(-1);
  const results: T[] = [];
  for (let index = 0; index < runs; index++) results.push(await run(index));
  return results;
}
