/**
 * A key run: `count` consecutive temporary keys of one table, from `firstClient` down, mapped to as
 * many consecutive server keys, from `firstServer` up. The INSERTs of one batch into one table
 * carry consecutive temporary keys and take consecutive server keys, so one run usually holds a
 * whole batch's key mappings of a table. The one encoding of key mappings on both sides: the
 * server's stored answers and its store (every client's mappings), and the device's log of the
 * mappings it applied (`sync_mapped_run`).
 */
export interface KeyRun {
  readonly table: string;
  readonly firstClient: number;
  readonly firstServer: number;
  /** How many keys the run holds, at least 1. */
  count: number;
}

/** Whether the key mapping `clientKey → serverKey` of `table` is the next one of `run`. */
export function continuesKeyRun(
  run: KeyRun,
  table: string,
  clientKey: number,
  serverKey: number,
): boolean {
  return (
    run.table === table &&
    clientKey === run.firstClient - run.count &&
    serverKey === run.firstServer + run.count
  );
}

/** Adds a key mapping to `runs`: to the last run when it continues it, else as a run of its own. */
export function addToKeyRuns(
  runs: KeyRun[],
  table: string,
  clientKey: number,
  serverKey: number,
): void {
  const last = runs.at(-1);
  if (last && continuesKeyRun(last, table, clientKey, serverKey)) last.count += 1;
  else runs.push({ table, firstClient: clientKey, firstServer: serverKey, count: 1 });
}

/** The last (lowest) temporary key of a run. */
export function lastClientKey(run: KeyRun): number {
  return run.firstClient - run.count + 1;
}

/** The server key a run gives `clientKey`, or `undefined` when the run does not hold that key. */
export function serverKeyInRun(run: KeyRun, clientKey: number): number | undefined {
  const offset = run.firstClient - clientKey;
  return offset >= 0 && offset < run.count ? run.firstServer + offset : undefined;
}

/** The key mappings of one table (`[temporary key, server key]` pairs, in order) as key runs. */
export function keyRunsOf(
  table: string,
  pairs: ReadonlyArray<readonly [number, number]>,
): KeyRun[] {
  const runs: KeyRun[] = [];
  for (const [clientKey, serverKey] of pairs) addToKeyRuns(runs, table, clientKey, serverKey);
  return runs;
}

/**
 * Key runs as the JSON that {@link keyRunsSql} reads: `[table, first temporary key, last
 * temporary key, first server key]` per run.
 */
export function keyRunsJson(runs: readonly KeyRun[]): string {
  return JSON.stringify(
    runs.map((run) => [run.table, run.firstClient, lastClientKey(run), run.firstServer]),
  );
}

/**
 * The runs of a {@link keyRunsJson} parameter as rows of `table_name`, `first_client`,
 * `last_client` and `first_server`: the columns in which both sides store runs.
 */
export const keyRunsSql = `SELECT value ->> 0 AS table_name, value ->> 1 AS first_client,
  value ->> 2 AS last_client, value ->> 3 AS first_server FROM json_each(?)`;

/**
 * The server key that `runs` (of one table, in ascending order of their first temporary key, as
 * `findKeyRuns` returns them) give `clientKey`, or `undefined` when none holds it: the run
 * starting nearest at or above the key is the only one that can.
 */
export function serverKeyIn(runs: readonly KeyRun[], clientKey: number): number | undefined {
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((runs[middle] as KeyRun).firstClient < clientKey) low = middle + 1;
    else high = middle;
  }
  const run = runs[low];
  return run === undefined ? undefined : serverKeyInRun(run, clientKey);
}
