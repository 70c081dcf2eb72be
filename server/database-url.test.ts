import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../test-utils/temp-dir.ts";
import { createSyncServer, isPostgresUrl } from "./index.ts";

// `database` as a URL: the store follows from its scheme (opening a PostgreSQL URL:
// server/store/postgres-server.test.ts).

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("a database URL", () => {
  it("names PostgreSQL by its scheme only", () => {
    expect(
      ["postgres://h/db", "postgresql://u:p@h:5432/db", "POSTGRES://h/db"].map(isPostgresUrl),
    ).toEqual([true, true, true]);
    expect(
      ["file:data/server.db", "libsql://x.example", "http://127.0.0.1:8080", "postgres:/x"].map(
        isPostgresUrl,
      ),
    ).toEqual([false, false, false, false]);
  });

  it("refuses poolSize for a libSQL URL and for a ready store", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    await expect(
      createSyncServer({ database: `file:${dir.path}/s.db`, poolSize: 4, logging: false }),
    ).rejects.toThrow('option "poolSize" applies to a PostgreSQL database only');
  });
});
