import { expect } from "vitest";
import type { SyncOperation } from "../server/operation.ts";
import { insert, remove, update } from "./operations.ts";
import { sendBatch } from "./receive.ts";
import type { TestServer } from "./test-server.ts";

// Requests of the conflict contract tests: stale edits and deletes of a device, each sent twice so
// that every answer is checked against its replay.

/** An UPDATE based on `baseVersion`, with the values it changes as the device had them. */
export const edit = (
  table: string,
  key: number,
  data: Record<string, unknown>,
  baseVersion: number,
  base: Record<string, unknown>,
): SyncOperation => ({ ...update(table, key, data), baseVersion, base });

/** A DELETE based on `baseVersion`. */
export const erase = (table: string, key: number, baseVersion: number): SyncOperation => ({
  ...remove(table, key),
  baseVersion,
});

let batches = 0;
/** Sends a batch and returns its one result; sends it again to check the replay says the same. */
export async function one(s: TestServer, clientId: string, operation: SyncOperation) {
  const batchId = `b${++batches}`;
  const answer = await sendBatch(s, clientId, batchId, [operation]);
  const replay = await sendBatch(s, clientId, batchId, [operation]);
  expect(replay.replayed).toBe(true);
  expect(replay.results).toEqual(answer.results);
  return answer.results[0];
}

/** Note 1 of `table`, at version 2 after another device (`b`) changed `column` from its first value. */
export async function changedByAnother(
  s: TestServer,
  table: string,
  column: string,
  value: string,
) {
  await sendBatch(s, "seed", `seed-${table}`, [
    insert(table, -1, { title: "first", body: "body", color: "white" }),
  ]);
  const other = await one(s, "b", edit(table, 1, { [column]: value }, 1, { [column]: "x" }));
  expect(other).toMatchObject({ status: "APPLIED", version: 2, conflict: null });
}

/** The first row of `table` on the server. */
export const row = async (s: TestServer, table: string) =>
  (await s.rows(`SELECT * FROM ${table}`))[0];
