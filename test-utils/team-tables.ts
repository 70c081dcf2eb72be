import { allRows } from "./team-model.ts";

// The rows of the team model's tables as values to compare: a device's and the server's alike.

type Rows = Array<Record<string, unknown>>;
type Table = keyof typeof allRows;
/** Every table of the team model and its rows, each sorted by {@link tablesOf}. */
export type TeamRows = Record<Table, Rows>;

const tableNames = Object.keys(allRows) as Table[];

const sorted = (rows: Rows): Rows =>
  rows
    .map((row) => [JSON.stringify(row), row] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, row]) => row);

/** Every table's rows, each sorted the same way whatever the key type (for set equality). */
export async function tablesOf(read: (sql: string) => Promise<Rows>): Promise<TeamRows> {
  const out = {} as TeamRows;
  for (const table of tableNames) out[table] = sorted(await read(allRows[table]));
  return out;
}

/** The rows of `a` and of `b`, table by table. */
export const union = (a: TeamRows, b: TeamRows): TeamRows =>
  Object.fromEntries(tableNames.map((t) => [t, sorted([...a[t], ...b[t]])])) as TeamRows;
