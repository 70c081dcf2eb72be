import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { exampleMigrations, exampleModel } from "../../schema/index.ts";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { multiRowInsertSql } from "../../writer/index.ts";
import { createLibsqlStore } from "./libsql-store.ts";
import type { SyncStore } from "./sync-store.ts";

let dir: ReturnType<typeof tempDir> | undefined;
let store: SyncStore | undefined;
afterEach(async () => {
  await store?.close();
  dir?.remove();
  store = dir = undefined;
});

describe("adopting rows in the libSQL store", () => {
  it("looks up each row's sync state by its key: a restart over 50,000 adopted rows is quick", async () => {
    dir = tempDir("libsql-adopt-");
    const url = `file:${join(dir.path, "server.db")}`;
    store = await createLibsqlStore({ url, modelMigrations: exampleMigrations });
    const client = createClient({ url });
    for (let start = 0; start < 50_000; start += 5_000) {
      const args = Array.from({ length: 5_000 }, (_, i) => ["d", 41, 2, `t${start + i}`]).flat();
      await client.execute({
        sql: multiRowInsertSql(
          "INSERT INTO location (device_id, latitude, longitude, recorded_at)",
          4,
          5_000,
        ),
        args,
      });
    }
    client.close();
    expect(await store.adoptRows(exampleModel)).toBe(50_000);
    // Compared by the key's affinity, each lookup scanned the table's sync states: minutes here.
    const started = performance.now();
    expect(await store.adoptRows(exampleModel)).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
