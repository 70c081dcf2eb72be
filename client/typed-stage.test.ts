import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exampleModel, exampleTables as t } from "../schema/index.ts";
import { syncedRows } from "../test-utils/compare-databases.ts";
import { sendFixtures } from "../test-utils/send-fixtures.ts";
import type { TestDevice } from "../test-utils/test-device.ts";
import { typedStageRows } from "../test-utils/typed-stage-rows.ts";
import { openNodeDeviceDatabase } from "./node-device-database.ts";
import { ReceiveError } from "./sync-client-error.ts";
import { typedStageLayout, typedStageTable } from "./typed-stage.ts";
import { spillTypedStage } from "./typed-stage-spill.ts";

const fixtures = sendFixtures();

/** A server where device `a` wrote 6 customers (one named like an SQL injection) with a note each. */
async function serverWithRows() {
  const server = await fixtures.server();
  const a = await fixtures.device(server.endpoint);
  await a.client.transaction(async (w) => {
    for (let i = 0; i < 6; i++) {
      const name = i === 3 ? `x'); DROP TABLE customer; --` : `c${i}`;
      const customerId = await w.insert(t.customer, { name, email: `${i}@x` });
      await w.insert(t.note, { customerId, body: `note ${i}` });
    }
  });
  await a.client.send();
  const b = await fixtures.device(server.endpoint);
  return { server, a, b };
}

/** The rows held in the typed stage's tables, and its `sync_state` entry. */
async function typedStage(device: TestDevice) {
  const { tables, rows } = await typedStageRows(device);
  const state = await device.rows("SELECT 1 FROM sync_state WHERE name = 'receive_typed_stage'");
  return { tables, rows, recorded: state.length === 1 };
}

/** How many pages are staged as JSON text, and how many changes they hold. */
async function stagedPages(device: TestDevice) {
  const [row] = await device.rows(
    "SELECT count(DISTINCT p.seq) AS pages, count(j.key) AS changes FROM sync_receive_page p LEFT JOIN json_each(p.changes, '$[1]') j",
  );
  return { pages: Number(row?.pages), changes: Number(row?.changes) };
}

/** Receives pages of `limit` changes and closes the client once `pages` are staged (unapplied). */
async function stopAfter(device: TestDevice, pages: number, limit: number) {
  const stopped = await device.client
    .receive({
      limit,
      onProgress: (progress) => {
        if (progress.pages === pages) void device.closeClient();
      },
    })
    .catch((error: unknown) => error);
  expect(stopped).toBeInstanceOf(ReceiveError);
}

async function expectEqualToServer(device: TestDevice, server: { rows: TestDevice["rows"] }) {
  expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  expect(await device.rows("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  expect(await device.rows("PRAGMA foreign_key_check")).toEqual([]);
  expect(await typedStage(device)).toEqual({ tables: 0, rows: 0, recorded: false });
}

describe("the typed stage of a run received by an empty device", () => {
  it("holds the staged rows as table rows, and the apply writes them with their versions", async () => {
    const { server, b } = await serverWithRows();
    await stopAfter(b, 2, 5);
    expect(await typedStage(b)).toEqual({ tables: 5, rows: 10, recorded: true });
    // The pages it took are staged there only.
    expect(await stagedPages(b)).toEqual({ pages: 0, changes: 0 });
    await b.reopen();
    const report = await b.client.receive({ limit: 5 });
    expect(report).toMatchObject({ pages: 1, changes: 2, applied: 12, skipped: 0, held: 0 });
    await expectEqualToServer(b, server);
    expect(await b.rows("SELECT name FROM customer WHERE id = 4")).toEqual([
      { name: `x'); DROP TABLE customer; --` },
    ]);
    const versions = await b.rows(
      "SELECT table_name, row_key, version FROM sync_row_version ORDER BY table_name, CAST(row_key AS INTEGER)",
    );
    expect(versions).toHaveLength(12);
    expect(versions[0]).toEqual({ table_name: "customer", row_key: "1", version: 1 });
    expect(versions.at(-1)).toMatchObject({ table_name: "note", version: 1 });
  });

  it("becomes staged pages at a DELETE in the run, ahead of it, and the run is applied from its pages", async () => {
    const { server, a, b } = await serverWithRows();
    await stopAfter(b, 1, 5);
    // Written while the run is staged: a DELETE of a row the first page brought, then 4 rows.
    const [first] = await a.rows("SELECT id FROM note ORDER BY rowid LIMIT 1");
    await a.client.delete(t.note, String(first?.id));
    await a.client.send();
    for (let i = 0; i < 4; i++) await a.client.insert(t.customer, { name: `later ${i}` });
    await a.client.send();
    await b.reopen();
    // The third page of 5 holds the DELETE: the 10 rows of the typed stage become 2 pages (a
    // table each) ahead of it. One change is left for the fourth.
    await stopAfter(b, 2, 5);
    expect(await typedStage(b)).toEqual({ tables: 0, rows: 0, recorded: false });
    expect(await stagedPages(b)).toEqual({ pages: 3, changes: 15 });
    await b.reopen();
    expect(await b.client.receive({ limit: 5 })).toMatchObject({ pages: 1, changes: 1 });
    await expectEqualToServer(b, server);
    expect(await b.rows("SELECT id FROM note WHERE id = ?", [String(first?.id)])).toEqual([]);
    expect(await stagedPages(b)).toEqual({ pages: 0, changes: 0 });
  });

  it("is left when the app writes while the run is staged: the pages' apply keeps the write", async () => {
    const { server, b } = await serverWithRows();
    await stopAfter(b, 1, 5);
    await b.reopen();
    await b.client.insert(t.customer, { name: "local" });
    // The write's batch is answered before the run is applied (sync() sends first).
    const report = await b.client.sync({ receive: { limit: 5 } });
    expect(report.receive?.applied).toBe(12);
    await expectEqualToServer(b, server);
    expect(await b.rows("SELECT count(*) AS n FROM customer WHERE name = 'local'")).toEqual([
      { n: 1 },
    ]);
  });

  it("is not made on a device that holds rows", async () => {
    const { server, b } = await serverWithRows();
    await b.client.receive();
    await b.client.insert(t.customer, { name: "local" });
    await b.client.send();
    await stopAfter(b, 1, 5);
    expect(await typedStage(b)).toEqual({ tables: 0, rows: 0, recorded: false });
    await b.reopen();
    await b.client.receive({ fromStart: true, limit: 5 });
    await expectEqualToServer(b, server);
  });

  it("of a layout without key positions (its pages staged as text too) is dropped, not staged again as pages", async () => {
    const { server, b } = await serverWithRows();
    await stopAfter(b, 2, 5);
    // The run's rows as pages, then a typed stage as a version that staged both left it, with a
    // row the run does not have: the pages hold the run, so that row must never be applied.
    const path = fileURLToPath(b.database.replace(/^file:/, "file://"));
    const pairs = exampleModel.ordered.map((table) => [
      table.name,
      table.columns.map((column) => column.name),
    ]);
    expect(JSON.stringify(pairs)).not.toBe(typedStageLayout(exampleModel));
    const database = await openNodeDeviceDatabase({ path, busyTimeoutMs: 1_000 });
    await database.transaction(async (tx) => {
      await spillTypedStage(tx);
      await tx.batch([
        ...exampleModel.ordered.map(
          (table, position) =>
            `CREATE TABLE ${typedStageTable(position)} (${[...table.columns.map((_, j) => `c${j}`), "v"].join(", ")})`,
        ),
        {
          sql: "INSERT INTO sync_state (name, value) VALUES ('receive_typed_stage', ?)",
          args: [JSON.stringify(pairs)],
        },
      ]);
      const position = exampleModel.ordered.findIndex((table) => table.name === "customer");
      const width = exampleModel.ordered[position]?.columns.length ?? 0;
      await tx.execute({
        sql: `INSERT INTO ${typedStageTable(position)} VALUES (${Array(width + 1)
          .fill("?")
          .join(", ")})`,
        args: [99, ...Array(width - 1).fill("not in the run"), 1],
      });
    });
    await database.close();
    expect(await stagedPages(b)).toEqual({ pages: 2, changes: 10 });
    await b.reopen();
    expect(await b.client.receive({ limit: 5 })).toMatchObject({ applied: 12 });
    await expectEqualToServer(b, server);
  });
});
