import { join } from "node:path";
import { type Client, createClient, LibsqlError, type Row, type Value } from "@libsql/client";
import Database from "libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../test-utils/temp-dir.ts";
import { createFileWriter } from "./create-file-writer.ts";
import { createWriter, type Writer, type WriteTransaction } from "./create-writer.ts";
import { openFileReader } from "./file-reader.ts";

/** A row's values in column order. */
const valuesOf = (row: Row | undefined): Value[] =>
  row ? Array.from({ length: row.length }, (_, i) => row[i] ?? null) : [];

/** How long a writer under test waits for another connection's lock. */
const busyTimeoutMs = 200;

/** Every implementation of {@link Writer}, each on its own connection, run through the same contract. */
const implementations: Array<[string, (path: string) => Writer & { close(): Promise<void> }]> = [
  [
    "createWriter (@libsql/client)",
    (path) => {
      const own = createClient({ url: `file:${path}`, timeout: busyTimeoutMs });
      return Object.assign(createWriter(own), { close: async () => own.close() });
    },
  ],
  ["createFileWriter", (path) => createFileWriter(path, { busyTimeoutMs, cachedStatements: 4 })],
];

describe.each(implementations)("Writer contract: %s", (_name, open) => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  let client: Client;
  let writer: Writer & { close(): Promise<void> };

  beforeEach(async () => {
    dir = tempDir("writer-");
    path = join(dir.path, "w.db");
    client = createClient({ url: `file:${path}` });
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, data BLOB)",
    );
    writer = open(path);
  });
  afterEach(async () => {
    await writer.close();
    client.close();
    dir.remove();
  });

  const count = async () =>
    Number((await client.execute("SELECT count(*) AS n FROM t")).rows[0]?.n);

  it("commits the work and returns its result", async () => {
    const result = await writer.run(async (tx) => {
      await tx.execute({ sql: "INSERT INTO t (name, score) VALUES (?, ?)", args: ["a", 1.5] });
      return "done";
    });
    expect(result).toBe("done");
    expect(await count()).toBe(1);
  });

  it("rolls everything back when the work throws, and rethrows", async () => {
    await expect(
      writer.run(async (tx) => {
        await tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["a"] });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await count()).toBe(0);
    // The writer is usable afterwards.
    await writer.run((tx) => tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["b"] }));
    expect(await count()).toBe(1);
  });

  it("reads rows by column name and by index, integers as numbers, blobs as ArrayBuffers", async () => {
    const rows = await writer.run(async (tx) => {
      await tx.execute({
        sql: "INSERT INTO t (id, name, score, data) VALUES (?, ?, ?, ?)",
        args: [7, "a", 0.1, new Uint8Array([1, 2, 3]).buffer],
      });
      return (await tx.execute("SELECT id, name, score, data, NULL AS empty FROM t")).rows;
    });
    const [row] = rows;
    expect(row?.id).toBe(7);
    expect(row?.[0]).toBe(7);
    expect(row?.length).toBe(5);
    expect(row?.name).toBe("a");
    expect(row?.score).toBe(0.1);
    expect(row?.empty).toBeNull();
    expect(row?.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(row?.data as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(Object.keys(row ?? {})).toEqual(["id", "name", "score", "data", "empty"]);
  });

  it("tells rows affected, binds numbered, named and boolean arguments, and RETURNING rows", async () => {
    const [affected, returned, named] = await writer.run(async (tx) => {
      await tx.execute({
        sql: "INSERT INTO t (name, score) VALUES (?1, ?2), (?3, ?2)",
        args: ["a", 1, "b"],
      });
      const update = await tx.execute({
        sql: "UPDATE t SET score = ? WHERE score = 1",
        args: [true],
      });
      const returning = await tx.execute({
        sql: "INSERT INTO t (name) VALUES (?) RETURNING id, name",
        args: ["c"],
      });
      const byName = await tx.execute({
        sql: "SELECT count(*) AS n FROM t WHERE name = :name",
        args: { ":name": "c" },
      });
      return [update.rowsAffected, returning.rows, byName.rows[0]?.n] as const;
    });
    expect(affected).toBe(2);
    expect(returned.map((row) => row.name)).toEqual(["c"]);
    expect(named).toBe(1);
  });

  it("reports a constraint violation as a LibsqlError with SQLite's codes", async () => {
    const error = await writer
      .run(async (tx) => {
        await tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["a"] });
        await tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["a"] });
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
    expect((error as LibsqlError).extendedCode).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect((error as LibsqlError).message).toMatch(
      /^SQLITE_CONSTRAINT: UNIQUE constraint failed: t\.name/,
    );
    expect(await count()).toBe(0);
  });

  it("runs transactions one at a time, in the order they were asked for", async () => {
    const order: string[] = [];
    await Promise.all(
      ["a", "b", "c", "d", "e", "f"].map((name) =>
        writer.run(async (tx) => {
          order.push(`begin ${name}`);
          await tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: [name] });
          await new Promise((resolve) => setTimeout(resolve, 1));
          order.push(`end ${name}`);
        }),
      ),
    );
    expect(order).toEqual(
      ["a", "b", "c", "d", "e", "f"].flatMap((n) => [`begin ${n}`, `end ${n}`]),
    );
    await writer.drain();
    expect(await count()).toBe(6);
  });

  it("serves more distinct statements than it keeps prepared, and each again", async () => {
    const values = await writer.run(async (tx) => {
      const seen: unknown[] = [];
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 10; i++) {
          seen.push((await tx.execute(`SELECT ${i} AS v`)).rows[0]?.v);
        }
      }
      return seen;
    });
    expect(values).toEqual([...Array(10).keys(), ...Array(10).keys()]);
  });

  it("fails the rest of a transaction SQLite rolled back by itself: nothing commits", async () => {
    await client.execute("CREATE TABLE r (name TEXT UNIQUE ON CONFLICT ROLLBACK)");
    const failure = await writer
      .run(async (tx) => {
        await tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["before"] });
        await tx.execute({ sql: "INSERT INTO r (name) VALUES (?)", args: ["a"] });
        // The app catches the conflict and goes on: SQLite has already rolled everything back.
        await tx
          .execute({ sql: "INSERT INTO r (name) VALUES (?)", args: ["a"] })
          .catch(() => undefined);
        await tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["after"] });
      })
      .catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(LibsqlError);
    expect((failure as LibsqlError).code).toBe("TRANSACTION_CLOSED");
    expect(await count()).toBe(0);
    expect((await client.execute("SELECT count(*) AS n FROM r")).rows[0]?.n).toBe(0);
    await writer.run((tx) =>
      tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["next"] }),
    );
    expect(await count()).toBe(1);
  });

  it("refuses a transaction's statements once its run has settled", async () => {
    let kept: WriteTransaction | undefined;
    await writer.run(async (tx) => {
      kept = tx;
    });
    await expect(
      kept?.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: ["late"] }),
    ).rejects.toThrow();
    expect(await count()).toBe(0);
  });

  it("binds NULL where a call gives fewer positional values than an earlier call of the same SQL", async () => {
    const rows = await writer.run(async (tx) => {
      const seen: unknown[] = [];
      for (const args of [[1, 2], [3], [], [4, 5, 6], [7]]) {
        seen.push(valuesOf((await tx.execute({ sql: "SELECT ? AS a, ? AS b", args })).rows[0]));
      }
      for (const args of [{ x: 1, y: 2 }, { x: 3 }]) {
        seen.push(valuesOf((await tx.execute({ sql: "SELECT :x AS x, :y AS y", args })).rows[0]));
      }
      return seen;
    });
    expect(rows).toEqual([
      [1, 2],
      [3, null],
      [null, null],
      [4, 5],
      [7, null],
      [1, 2],
      [3, null],
    ]);
  });

  it("refuses values SQLite cannot take", async () => {
    await expect(
      writer.run((tx) =>
        tx.execute({ sql: "INSERT INTO t (name, score) VALUES (?, ?)", args: ["a", Number.NaN] }),
      ),
    ).rejects.toThrow(RangeError);
    expect(await count()).toBe(0);
  });
});

describe("createFileWriter", () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  beforeEach(async () => {
    dir = tempDir("file-writer-");
    path = join(dir.path, "w.db");
    const client = createClient({ url: `file:${path}` });
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
    client.close();
  });
  afterEach(() => dir.remove());

  it("lets queued transactions finish on close, then refuses new ones", async () => {
    const writer = createFileWriter(path, { busyTimeoutMs: 1000 });
    const queued = [1, 2, 3].map((i) =>
      writer.run((tx) => tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: [`n${i}`] })),
    );
    const closed = writer.close();
    const late = writer.run((tx) => tx.execute("SELECT 1"));
    await expect(late).rejects.toMatchObject({ code: "CLIENT_CLOSED" });
    await Promise.all(queued);
    await closed;
    const client = createClient({ url: `file:${path}` });
    expect((await client.execute("SELECT count(*) AS n FROM t")).rows[0]?.n).toBe(3);
    client.close();
  });

  it("keeps temporary data on disk, the writer's and a reader's: a large sort holds no memory", async () => {
    const writer = createFileWriter(path, { busyTimeoutMs: 1000 });
    const reader = openFileReader(path, { busyTimeoutMs: 1000 });
    try {
      // 1 is FILE; this libSQL's default is MEMORY (2).
      const written = await writer.run((tx) => tx.execute("PRAGMA temp_store"));
      expect(Number(written.rows[0]?.[0])).toBe(1);
      expect(Number(reader.read((execute) => execute("PRAGMA temp_store", []).rows[0]?.[0]))).toBe(
        1,
      );
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});

// A file lock held by another connection is a local file's matter. createWriter (@libsql/client)
// fails this: a BEGIN refused with SQLITE_BUSY leaves its connection with a statement in progress,
// and every later COMMIT on it fails. It serves only remote URLs, where the libSQL server waits
// for locks, so local files go through createFileWriter.
describe("createFileWriter and other connections' locks", () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  let client: Client;
  let fileWriter: ReturnType<typeof createFileWriter>;

  beforeEach(async () => {
    dir = tempDir("writer-lock-");
    path = join(dir.path, "w.db");
    client = createClient({ url: `file:${path}` });
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
    fileWriter = createFileWriter(path, { busyTimeoutMs });
  });
  afterEach(async () => {
    await fileWriter.close();
    client.close();
    dir.remove();
  });

  it("fails with SQLITE_BUSY while another connection holds the lock, and works once it is gone", async () => {
    const holder = new Database(path);
    holder.exec("BEGIN IMMEDIATE");
    const insert = (name: string) =>
      fileWriter.run((tx) => tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: [name] }));
    await expect(insert("blocked")).rejects.toMatchObject({
      code: expect.stringMatching(/^SQLITE_BUSY/),
    });
    // A second attempt while the lock is held fails the same way, not with a leftover of the first.
    await expect(insert("blocked again")).rejects.toMatchObject({
      code: expect.stringMatching(/^SQLITE_BUSY/),
    });
    holder.exec("ROLLBACK");
    holder.close();
    await insert("after");
    const { rows } = await client.execute("SELECT name FROM t");
    expect(rows.map((row) => row.name)).toEqual(["after"]);
  });
});
