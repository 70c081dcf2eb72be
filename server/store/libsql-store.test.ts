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
