import { join } from "node:path";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { modelMigrationsFolder } from "../schema/index.ts";

/**
 * The raw limit: the same location rows written straight into a fresh libSQL file in one
 * transaction with multi-row INSERTs (500 rows each) through @libsql/client. Rows per second.
 */
export async function limitRun(dir: string, rows: number, run: number): Promise<number> {
  const client = createClient({ url: `file:${join(dir, `limit-${Date.now()}-${run}.db`)}` });
  try {
    await client.execute("PRAGMA journal_mode = WAL");
    await migrate(drizzle(client), { migrationsFolder: modelMigrationsFolder });
    const chunk = 500;
    const tuple = "(?, ?, ?, ?, ?)";
    const started = performance.now();
    const tx = await client.transaction("write");
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
        sql: `INSERT INTO location (id, device_id, latitude, longitude, recorded_at) VALUES ${Array.from({ length: count }, () => tuple).join(", ")}`,
        args,
      });
    }
    await tx.commit();
    return rows / ((performance.now() - started) / 1000);
  } finally {
    client.close();
  }
}
