/**
 * A key run: `count` consecutive temporary keys of one table, from `firstClient` down, mapped to as
 * many consecutive server keys, from `firstServer` up. The INSERTs of one batch into one table
 * carry consecutive temporary keys and take consecutive server keys, so one run usually holds a
 * whole batch's key mappings of a table. The one encoding of key mappings on the server: the
 * stored answer keeps its mappings as runs, and the store keeps every client's mappings as runs.
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
