import { createClient } from "@libsql/client";
import { expect } from "vitest";
import { expectIntact } from "./invariants.ts";

// A device's database file read straight, with no client open on it: what a killed process left.

type Rows = Array<Record<string, unknown>>;

/** Reads a database file through a connection of its own, closed after the read. */
export async function queryFile(path: string, sql: string): Promise<Rows> {
  const reader = createClient({ url: `file:${path}` });
  try {
    return (await reader.execute(sql)).rows.map((row) => ({ ...row }));
  } finally {
    reader.close();
  }
}

/** Where receiving stands in a device file, read straight from `sync_state` and the stage. */
export async function stagedState(path: string) {
  const state = new Map(
    (await queryFile(path, "SELECT name, value FROM sync_state")).map((r) => [r.name, r.value]),
  );
  const hasPageTable =
    (await queryFile(path, "SELECT 1 FROM sqlite_master WHERE name = 'sync_receive_page'")).length >
    0;
  const count = async (sql: string) => Number((await queryFile(path, sql))[0]?.n ?? 0);
  return {
    cursor: (state.get("receive_cursor") as string | undefined) ?? null,
    stagedCursor: (state.get("receive_staged_cursor") as string | undefined) ?? null,
    /** Staged pages (null on a device without a page table, which stages rows only). */
    pages: hasPageTable ? await count("SELECT count(*) AS n FROM sync_receive_page") : null,
    rows: await count("SELECT count(*) AS n FROM sync_receive_stage WHERE held = 0"),
  };
}

/** `integrity_check` is ok and `foreign_key_check` finds nothing. */
export async function expectSound(path: string, label: string): Promise<void> {
  await expectIntact((sql) => queryFile(path, sql), label);
  expect(await queryFile(path, "PRAGMA foreign_key_check"), `${label}: foreign_key_check`).toEqual(
    [],
  );
}
