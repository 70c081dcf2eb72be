import { join } from "node:path";
import { createClient } from "@libsql/client";
import { exampleMigrations } from "../schema/index.ts";
import { migrateLibsql } from "../server/store/libsql-migrate.ts";
import { createFileWriter, createWriter, multiRowInsertSql } from "../writer/index.ts";

/**
 * How the limit writes: multi-row INSERTs through @libsql/client (which prepares each statement
 * anew), or through the writer that keeps its prepared statements (what the server and the
 * device use on local files).
 */
export type LimitMeans = "libsql-client" | "file-writer";

/**
 * The raw limit: the same location rows written straight into a fresh libSQL file in one
 * transaction with multi-row INSERTs (500 rows each). Rows per second.
 */
export async function limitRun(
  dir: string,
  rows: number,
  run: number,
  means: LimitMeans,
): Promise<number> {
  const path = join(dir, `limit-${means}-${Date.now()}-${run}.db`);
  const client = createClient({ url: `file:${path}` });
  const fileWriter =
    means === "file-writer" ? createFileWriter(path, { busyTimeoutMs: 10_000 }) : undefined;
  try {
    await client.execute("PRAGMA journal_mode = WAL");
    await migrateLibsql(client, exampleMigrations, "__drizzle_migrations");
    const writer = fileWriter ?? createWriter(client);
    const chunk = 500;
    const started = performance.now();
    await writer.run(async (tx) => {
      for (let start = 0; start < rows; start += chunk) {
        const count = Math.min(chunk, rows - start);
        const args: Array<string | number> = [];
        for (let i = start; i < start + count; i++) {
          args.push(
            i + 1,
            "bench-phone",
            41.39 + (i % 1000) / 1e5,
            2.17 - (i % 777) / 1e5,
            new Date(Date.UTC(2026, 0, 1) + i * 300_000).toISOString(),
          );
        }
        await tx.execute({
          sql: multiRowInsertSql(
            "INSERT INTO location (id, device_id, latitude, longitude, recorded_at)",
            5,
            count,
          ),
          args,
        });
      }
    });
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await fileWriter?.close();
    client.close();
  }
}
