import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { createLibsqlStore } from "./libsql-store.ts";
import type { SyncStore, TempKeyEntry } from "./sync-store.ts";

let dir: ReturnType<typeof tempDir> | undefined;
let store: SyncStore | undefined;
afterEach(async () => {
  await store?.close();
  dir?.remove();
  store = dir = undefined;
});

async function openStore(): Promise<SyncStore> {
  dir = tempDir("libsql-store-");
  store = await createLibsqlStore({ url: `file:${join(dir.path, "server.db")}` });
  return store;
}

const map = (table: string, clientKey: number, serverKey: number | null): TempKeyEntry => ({
  table,
  clientKey,
  serverKey,
});

describe("temporary keys in the libSQL store", () => {
  it("finds mapped keys across runs, gaps, tables and clients, and rejected keys until mapped", async () => {
    const s = await openStore();
    await s.writeTransaction(async (tx) => {
      // -1..-3 → 10..12 and -4..-5 → 20..21 (two runs), -7 → 30 after a gap, -6 rejected.
      await tx.saveTempKeys("a", [
        ...[-1, -2, -3].map((k) => map("invoice", k, 9 - k)),
        map("invoice", -4, 20),
        map("invoice", -5, 21),
        map("invoice", -6, null),
        map("invoice", -7, 30),
        map("customer", -1, 99),
      ]);
      await tx.saveTempKeys("b", [map("invoice", -1, 500)]);
    });
    const found = await s.writeTransaction((tx) =>
      tx.findTempKeys("a", "invoice", [-8, -7, -6, -5, -4, -3, -2, -1, -100]),
    );
    expect(Object.fromEntries(found)).toEqual({
      "-1": 10,
      "-2": 11,
      "-3": 12,
      "-4": 20,
      "-5": 21,
      "-6": null,
      "-7": 30,
    });
    // A range of keys that starts inside a run found by its start above the range.
    const inside = await s.writeTransaction((tx) => tx.findTempKeys("a", "invoice", [-3, -2]));
    expect(Object.fromEntries(inside)).toEqual({ "-2": 11, "-3": 12 });
    const other = await s.writeTransaction((tx) => tx.findTempKeys("b", "invoice", [-1, -2]));
    expect(Object.fromEntries(other)).toEqual({ "-1": 500 });
    // The rejected key applied later: mapped, no longer rejected.
    await s.writeTransaction((tx) => tx.saveTempKeys("a", [map("invoice", -6, 40)]));
    const retried = await s.writeTransaction((tx) => tx.findTempKeys("a", "invoice", [-6]));
    expect(Object.fromEntries(retried)).toEqual({ "-6": 40 });
  });

  it("stores a request's consecutive keys as one run", async () => {
    const s = await openStore();
    await s.writeTransaction((tx) =>
      tx.saveTempKeys(
        "a",
        Array.from({ length: 1000 }, (_, i) => map("location", -(i + 1), 5001 + i)),
      ),
    );
    const client = createClient({ url: `file:${join(dir?.path ?? "", "server.db")}` });
    const { rows } = await client.execute("SELECT * FROM sync_key_run");
    client.close();
    expect(rows).toEqual([
      expect.objectContaining({ first_client: -1, last_client: -1000, first_server: 5001 }),
    ]);
  });
});

describe("opening a libSQL store", () => {
  it("creates the folder of an embedded file", async () => {
    dir = tempDir("libsql-store-");
    store = await createLibsqlStore({ url: `file:${join(dir.path, "a", "b", "server.db")}` });
    expect(await store.tableColumns("sync_batch")).toContain("batch_id");
  });
});
