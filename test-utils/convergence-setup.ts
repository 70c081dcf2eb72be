import type { ScopeGrant } from "../server/scope-grant.ts";

// The fixed setting of the receive-convergence property (faults/receive-convergence.test.ts):
// five devices of the team model with overlapping read scopes, and the marker each row carries.

/** The teams a project may belong to. */
export const teams = ["t1", "t2", "t3"] as const;
/** Read scopes by device; writes may go anywhere ("all"). */
export const readScopes: Record<string, readonly string[]> = {
  dev0: ["t1"],
  dev1: ["t1", "t2"],
  dev2: ["t2"],
  dev3: ["t2", "t3"],
  dev4: ["t3", "t1"],
};
/** The devices of a history, in order. */
export const clientIds = Object.keys(readScopes);
/** The server's scopes option: {@link readScopes} to read, everything to write. */
export const scopes = ({ clientId }: { clientId: string }): ScopeGrant => ({
  read: readScopes[clientId] ?? "all",
  write: "all",
});

/** The team model's tables, parents before children. */
export const tableNames = ["tag", "project", "task", "comment"] as const;
export type TableName = (typeof tableNames)[number];
export type Row = Record<string, unknown>;
export type Tables = Record<TableName, Row[]>;

/** The column each table's marker lives in: `<marker>` at insert, `<marker>/<n>` after updates. */
const markerColumn: Record<TableName, string> = {
  tag: "label",
  project: "name",
  task: "title",
  comment: "body",
};
/** The marker a row was inserted with, whatever updates followed. */
export const markerOf = (row: Row, table: TableName) =>
  String(row[markerColumn[table]] ?? "").split("/")[0] ?? "";
/** The code of a client's error (or the error as text). */
export const codeOf = (error: unknown) =>
  (error as { code?: string } | null)?.code ?? String(error);

/** Figures over every history, for the closing note. */
export interface ConvergenceTotals {
  histories: number;
  steps: number;
  events: number;
  syncs: number;
  appWritesRefused: number;
  readonly faults: Record<string, number>;
  readonly rejected: Record<string, number>;
  readonly resets: Record<string, number>;
  held: number;
}
/** Adds `by` to the figure `name` of `into`. */
export const count = (into: Record<string, number>, name: string, by = 1) => {
  into[name] = (into[name] ?? 0) + by;
};
