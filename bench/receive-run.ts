import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { exampleMigrations } from "../schema/index.ts";
import { migrateLibsql } from "../server/store/libsql-migrate.ts";
import { startServerProcess } from "../test-utils/server-process.ts";
import { multiRowInsertSql } from "../writer/index.ts";
import { warmUpReceive } from "./warm-up-server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** What one receive run measured. */
export interface ReceiveRun {
  /** Rows per second of the first receive (from scratch). */
  readonly rowsPerSecond: number;
  /** Milliseconds of the first receive's apply (after its last page was staged). */
  readonly applyMs: number;
  /** Milliseconds of the second, incremental receive (0 when not asked). */
  readonly incrementalMs: number;
  readonly incrementalChanges: number;
  /** Peak RSS of the device process once the first receive finished, in MB. */
  readonly peakMb: number;
}

/** A server database at `path` holding `rows` location rows, written straight in (the server adopts them at start). */
export async function serverDatabase(path: string, rows: number): Promise<void> {
  const database = createClient({ url: `file:${path}` });
  await database.execute("PRAGMA journal_mode = WAL");
  await migrateLibsql(database, exampleMigrations, "__drizzle_migrations");
  const head = "INSERT INTO location (device_id, latitude, longitude, recorded_at)";
  for (let start = 0; start < rows; start += 5_000) {
    const count = Math.min(5_000, rows - start);
    const args: Array<string | number> = [];
    for (let i = start; i < start + count; i++) {
      args.push("bench-phone", 41.39 + (i % 1000) / 1e5, 2.17, new Date(i * 60_000).toISOString());
    }
    await database.execute({ sql: multiRowInsertSql(head, 4, count), args });
  }
  database.close();
}

/** The batches of updates posted so far: each one's batchSeq is one more. */
let updateBatches = 0;

/** `count` location UPDATEs from another device, posted as one syncBatch. */
async function postUpdates(endpoint: string, count: number, of: number): Promise<void> {
  updateBatches += 1;
  const batchSeq = updateBatches;
  const operations = Array.from({ length: count }, (_, i) => ({
    eventId: String(i),
    table: "location",
    kind: "UPDATE",
    key: String(1 + Math.floor((i * of) / count)),
    data: { latitude: 1 + i / 1e6 },
  }));
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query:
        "mutation($input: SyncBatchInput!) { syncBatch(input: $input) { results { status } } }",
      variables: {
        input: {
          clientId: "bench-writer",
          batchId: `u${Date.now()}`,
          batchSeq,
          operations,
        },
      },
    }),
  });
  if (!response.ok) throw new Error(`updates failed: ${response.status} ${await response.text()}`);
}

/**
 * A fresh device receives `rows` rows from a server process, and then, when `incremental` > 0,
 * that many changes among them (written by another device after the first receive).
 */
export async function receiveRun(
  dir: string,
  rows: number,
  incremental: number,
  run: number,
  nodeFlags: readonly string[] = [],
): Promise<ReceiveRun> {
  const tag = `${rows}-${Date.now()}-${run}`;
  const serverPath = join(dir, `receive-server-${tag}.db`);
  await serverDatabase(serverPath, rows);
  const server = await startServerProcess(`file:${serverPath}`);
  try {
    await warmUpReceive(dir, server.endpoint);
    const child = spawn(
      process.execPath,
      [
        ...nodeFlags,
        "--import",
        "tsx",
        "bench/receive-child.ts",
        `file:${join(dir, `receive-device-${tag}.db`)}`,
        server.endpoint,
        incremental > 0 ? "again" : "once",
      ],
      { cwd: root, stdio: ["pipe", "pipe", "inherit"] },
    );
    const lines: string[] = [];
    let buffered = "";
    const readyOrDone = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
          lines.push(buffered.slice(0, end));
          buffered = buffered.slice(end + 1);
          resolve();
        }
      });
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await readyOrDone;
    if (incremental > 0) {
      await postUpdates(server.endpoint, incremental, rows);
      child.stdin.write("go\n");
    }
    child.stdin.end();
    const code = await exited;
    const result = JSON.parse(lines.at(-1) ?? "{}") as {
      beforeKb: number;
      firstPeakKb: number;
      firstMs: number;
      stagedMs: number;
      firstChanges: number;
      secondMs: number;
      secondChanges: number;
    };
    if (code !== 0 || result.firstChanges !== rows) {
      throw new Error(`the device received ${result.firstChanges} of ${rows} rows (exit ${code})`);
    }
    return {
      rowsPerSecond: (rows * 1000) / result.firstMs,
      applyMs: result.firstMs - result.stagedMs,
      incrementalMs: result.secondMs,
      incrementalChanges: result.secondChanges,
      peakMb: result.firstPeakKb / 1024,
    };
  } finally {
    await server.stop();
  }
}
