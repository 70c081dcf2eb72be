import type { SqlStatement, SqlValue } from "./device-database.ts";

/**
 * What a change writes: the table, and for an UPSERT the columns its data gives (SQL names, in the
 * order the server sent them); `null` for a DELETE.
 */
export type ChangeShape = readonly [table: string, columns: readonly string[] | null];

/**
 * One change of a staged page: the index of its shape in {@link StagedPage.shapes}, the row's key
 * as text, the row's version after the change, then (UPSERT) the values of the shape's columns in
 * order.
 */
export type StagedChange = readonly [shape: number, key: string, version: number, ...SqlValue[]];

/**
 * A page of changes as the device stages it: one JSON text per page (`sync_receive_page.changes`),
 * its column names written once per shape rather than once per change. Invariants: every change's
 * shape index is within `shapes`; an UPSERT carries exactly as many values as its shape has
 * columns, a DELETE none; changes are in the page's order.
 */
export interface StagedPage {
  readonly shapes: readonly ChangeShape[];
  readonly changes: readonly StagedChange[];
}

/** Reads a staged page's JSON text (as `stagePage` wrote it). */
export function parseStagedPage(text: string): StagedPage {
  const [shapes, changes] = JSON.parse(text) as [ChangeShape[], StagedChange[]];
  return { shapes, changes };
}

/** A staged page's JSON text. */
export function stagedPageText(page: StagedPage): string {
  return JSON.stringify([page.shapes, page.changes]);
}

/** The statement that stages a page's JSON text after the pages staged before it. */
export function stagePageStatement(text: string): SqlStatement {
  return {
    sql: "INSERT INTO sync_receive_page (seq, changes) VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM sync_receive_page), ?)",
    args: [text],
  };
}

/**
 * The data of an UPSERT as an object of its columns (SQL names), as `sync_receive_stage` keeps it.
 * Without a prototype, so a column named `__proto__` is a column like any other.
 */
export function dataOf(columns: readonly string[], change: StagedChange): Record<string, SqlValue> {
  const data = Object.create(null) as Record<string, SqlValue>;
  for (let i = 0; i < columns.length; i++) data[columns[i] as string] = change[i + 3] as SqlValue;
  return data;
}
