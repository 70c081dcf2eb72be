import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { examplePgMigrations } from "../../schema/generated/example-pg-migrations.ts";
import { freshPostgresDatabase, postgresUrlForTests } from "../../test-utils/test-postgres.ts";
import { storePgMigrations } from "../generated/store-pg-migrations.ts";
import { createSyncServer, type SyncServer } from "../server.ts";
import { migratePostgres } from "./postgres-migrate.ts";

let database: { url: string; drop(): Promise<void> };
let sql: postgres.Sql;

beforeEach(async () => {
  database = await freshPostgresDatabase(postgresUrlForTests());
  sql = postgres(database.url, { max: 4, onnotice: () => undefined });
});

afterEach(async () => {
  await sql.end();
  await database.drop();
});

/** Each table's columns as `name type null?`, as the catalog states them. */
async function columnsOf(table: string): Promise<string[]> {
  const rows = await sql<{ column_name: string; data_type: string; is_nullable: string }[]>`
    SELECT column_name, data_type, is_nullable FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = ${table} ORDER BY ordinal_position`;
  return rows.map(
    (row) => `${row.column_name} ${row.data_type}${row.is_nullable === "YES" ? " null" : ""}`,
  );
}

async function journalRows(table: string): Promise<number> {
  const [row] = await sql<{ count: string }[]>`SELECT count(*) AS count FROM ${sql(table)}`;
  return Number(row?.count);
}

async function migrateBoth(on: postgres.Sql = sql): Promise<void> {
  await migratePostgres(on, examplePgMigrations, "__drizzle_migrations");
  await migratePostgres(on, storePgMigrations, "__sync_server_migrations");
}

describe("PostgreSQL for the tests", () => {
  it("runs a real server this test reaches", async () => {
    const [row] = await sql<{ version: string }[]>`SELECT version()`;
    expect(row?.version).toMatch(/^PostgreSQL \d+/);
  });

  it("applies the embedded migrations: the tables and columns the model says", async () => {
    await migrateBoth();
    expect(await columnsOf("invoice")).toEqual([
      "id bigint",
      "customer_id bigint",
      "issued_at text",
      "total double precision",
    ]);
    expect(await columnsOf("note")).toEqual(["id text", "customer_id bigint null", "body text"]);
    expect(await columnsOf("sync_row")).toEqual([
      "seq bigint",
      "table_name text",
      "row_key text",
      "version bigint",
      "scope text",
      "deleted bigint",
      "changed_at bigint",
      "writer text",
      "writer_from bigint",
    ]);
    expect(await columnsOf("sync_key_block")).toEqual(["table_name text", "next_key bigint"]);
    const foreignKeys = await sql<{ conname: string }[]>`
      SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY conname`;
    expect(foreignKeys.map((row) => row.conname)).toEqual([
      "invoice_customer_id_customer_id_fk",
      "invoice_line_invoice_id_invoice_id_fk",
      "note_customer_id_customer_id_fk",
    ]);
    // A 64-bit key and a µs timestamp fit (SQLite's integers are 64-bit).
    await sql`INSERT INTO sync_rate (key, ready_at) VALUES ('k', ${String(2 ** 53 - 1)})`;
    const [rate] = await sql<{ ready_at: string }[]>`SELECT ready_at FROM sync_rate`;
    expect(rate?.ready_at).toBe(String(2 ** 53 - 1));
  });

  it("applies nothing on a second run", async () => {
    await migrateBoth();
    await migrateBoth();
    expect(await journalRows("__drizzle_migrations")).toBe(examplePgMigrations.length);
    expect(await journalRows("__sync_server_migrations")).toBe(storePgMigrations.length);
  });

  it("lets one of two concurrent migrators apply, the other finds nothing to do", async () => {
    const other = postgres(database.url, { max: 4, onnotice: () => undefined });
    try {
      await Promise.all([migrateBoth(), migrateBoth(other), migrateBoth()]);
    } finally {
      await other.end();
    }
    expect(await journalRows("__drizzle_migrations")).toBe(examplePgMigrations.length);
    expect(await journalRows("__sync_server_migrations")).toBe(storePgMigrations.length);
  });

  it("exit_versions: exits saved before it take their rows' versions (0 for a row gone)", async () => {
    const step = storePgMigrations.findIndex((m) =>
      m.sql.join("").includes('"sync_scope_exit" ADD COLUMN "version"'),
    );
    expect(step).toBeGreaterThan(0);
    await migratePostgres(sql, storePgMigrations.slice(0, step), "__sync_server_migrations");
    await sql`INSERT INTO sync_row (seq, table_name, row_key, version, scope, deleted, changed_at)
      VALUES (5, 'project', '1', 7, 't2', 0, 0), (6, 'task', 'a', 3, 't2', 1, 0)`;
    await sql`INSERT INTO sync_scope_exit (table_name, row_key, scope, seq, changed_at)
      VALUES ('project', '1', 't1', 3, 0), ('task', 'a', 't1', 4, 0), ('task', 'gone', 't1', 2, 0)`;
    await sql`INSERT INTO sync_writer_exit (client_id, table_name, row_key, seq, changed_at)
      VALUES ('dev', 'project', '1', 1, 0)`;
    await migratePostgres(sql, storePgMigrations, "__sync_server_migrations");
    const exits = await sql<{ row_key: string; version: string }[]>`
      SELECT row_key, version FROM sync_scope_exit ORDER BY seq`;
    expect(exits.map((row) => [row.row_key, Number(row.version)])).toEqual([
      ["gone", 0],
      ["1", 7],
      ["a", 3],
    ]);
    const [writer] = await sql<{ version: string }[]>`SELECT version FROM sync_writer_exit`;
    expect(Number(writer?.version)).toBe(7);
  });
});

const insertCustomer = {
  query: `mutation($input: SyncBatchInput!) { syncBatch(input: $input) { results { status } keyMappings { serverKey } } }`,
  variables: {
    input: {
      clientId: "dev",
      batchId: "b1",
      batchSeq: 1,
      operations: [
        { eventId: "e1", kind: "INSERT", table: "customer", key: "-1", data: { name: "Ada" } },
      ],
    },
  },
};

async function post(sync: SyncServer, body: unknown): Promise<unknown> {
  const response = await sync.yoga.fetch("http://127.0.0.1/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

describe("createSyncServer with a PostgreSQL URL", () => {
  it("opens the PostgreSQL store, migrates it and applies a batch", async () => {
    const server = await createSyncServer({ database: database.url, poolSize: 2, logging: false });
    expect(await post(server, insertCustomer)).toEqual({
      data: {
        syncBatch: { results: [{ status: "APPLIED" }], keyMappings: [{ serverKey: "1" }] },
      },
    });
    expect(await server.store.tableColumns("customer")).toContain("name");
    await server.close();
  });

  it("refuses a poolSize that is not a positive integer", async () => {
    await expect(
      createSyncServer({ database: database.url, poolSize: 0, logging: false }),
    ).rejects.toThrow("poolSize must be a positive integer, got 0");
  });
});
