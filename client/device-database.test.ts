import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../test-utils/temp-dir.ts";
import { type DeviceDatabase, DeviceDatabaseError } from "./device-database.ts";
import { openNodeDeviceDatabase } from "./node-device-database.ts";

/** Every implementation of {@link DeviceDatabase}, opened on a new database in `folder`. */
const implementations: Array<[string, (folder: string) => Promise<DeviceDatabase>]> = [
  [
    "openNodeDeviceDatabase",
    (folder) =>
      openNodeDeviceDatabase({ path: join(folder, "nested", "d.db"), busyTimeoutMs: 200 }),
  ],
];

const codeOf = (error: unknown) => (error as { code?: unknown }).code;

describe.each(implementations)("DeviceDatabase contract: %s", (_name, open) => {
  let dir: ReturnType<typeof tempDir>;
  let database: DeviceDatabase;
  beforeEach(async () => {
    dir = tempDir("device-database-");
    database = await open(dir.path);
    await database.transaction((tx) =>
      tx.batch([
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, data BLOB)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))",
      ]),
    );
  });
  afterEach(async () => {
    await database.close();
    dir.remove();
  });

  const count = async (table = "parent") =>
    (await database.read(`SELECT count(*) FROM ${table}`)).rows[0]?.[0];

  it("commits the work and gives its result; rolls back and rethrows when the work throws", async () => {
    const result = await database.transaction(async (tx) => {
      await tx.execute({ sql: "INSERT INTO parent (name) VALUES (?)", args: ["a"] });
      return "done";
    });
    expect(result).toBe("done");
    const boom = new Error("boom");
    await expect(
      database.transaction(async (tx) => {
        await tx.execute({ sql: "INSERT INTO parent (name) VALUES (?)", args: ["b"] });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await count()).toBe(1);
  });

  it("gives rows as arrays in column order: integers as numbers, reals, texts, blobs, nulls", async () => {
    const { columns, rows } = await database.transaction(async (tx) => {
      await tx.execute({
        sql: "INSERT INTO parent (id, name, score, data) VALUES (?, ?, ?, ?)",
        args: [2 ** 53 - 1, "a", 0.1, new Uint8Array([1, 2, 3])],
      });
      return tx.execute("SELECT id, name, score, data, NULL AS empty FROM parent");
    });
    expect(columns).toEqual(["id", "name", "score", "data", "empty"]);
    expect(rows).toHaveLength(1);
    const [id, name, score, data, empty] = rows[0] ?? [];
    expect([id, name, score, empty]).toEqual([2 ** 53 - 1, "a", 0.1, null]);
    expect(data).toBeInstanceOf(Uint8Array);
    expect([...(data as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it("refuses an integer a number cannot hold exactly, and parameters that are not finite", async () => {
    await expect(database.read("SELECT 9007199254740993")).rejects.toThrow(RangeError);
    await expect(
      database.transaction((tx) =>
        tx.execute({
          sql: "INSERT INTO parent (name, score) VALUES (?, ?)",
          args: ["a", Number.NaN],
        }),
      ),
    ).rejects.toThrow(RangeError);
    expect(await count()).toBe(0);
  });

  it("tells the rows a write changed; a statement that returns rows tells none", async () => {
    const [inserted, updated, returning] = await database.transaction((tx) =>
      tx.batch([
        { sql: "INSERT INTO parent (name) VALUES (?), (?)", args: ["a", "b"] },
        "UPDATE parent SET score = 1",
        "DELETE FROM parent WHERE name = 'a' RETURNING id",
      ]),
    );
    expect(inserted?.rowsAffected).toBe(2);
    expect(updated?.rowsAffected).toBe(2);
    expect(returning?.rows).toEqual([[1]]);
    expect(returning?.rowsAffected).toBe(0);
  });

  it("runs a batch in order and stops at its first failure, which rolls the work back", async () => {
    const error = await database
      .transaction((tx) =>
        tx.batch([
          { sql: "INSERT INTO parent (name) VALUES (?)", args: ["a"] },
          { sql: "INSERT INTO parent (name) VALUES (?)", args: ["a"] },
          { sql: "INSERT INTO parent (name) VALUES (?)", args: ["c"] },
        ]),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeviceDatabaseError);
    expect(codeOf(error)).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect((error as Error).message).toMatch(/^UNIQUE constraint failed: parent\.name/);
    expect(await count()).toBe(0);
  });

  it("enforces foreign keys, except in a transaction that asks not to (migrations)", async () => {
    const orphan = (options?: { foreignKeys: boolean }) =>
      database.transaction(
        (tx) => tx.execute({ sql: "INSERT INTO child (parent_id) VALUES (?)", args: [99] }),
        options,
      );
    await expect(orphan()).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
    await orphan({ foreignKeys: false });
    expect(await count("child")).toBe(1);
    // Enforced again afterwards.
    await expect(orphan()).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
  });

  it("runs transactions one at a time, in the order asked", async () => {
    const order: string[] = [];
    await Promise.all(
      ["a", "b", "c", "d"].map((name) =>
        database.transaction(async (tx) => {
          order.push(`begin ${name}`);
          await tx.execute({ sql: "INSERT INTO parent (name) VALUES (?)", args: [name] });
          await new Promise((resolve) => setTimeout(resolve, 1));
          order.push(`end ${name}`);
        }),
      ),
    );
    expect(order).toEqual(["a", "b", "c", "d"].flatMap((n) => [`begin ${n}`, `end ${n}`]));
  });

  it("reads committed data only, beside a transaction under way, and never writes", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted = () => {};
    const written = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const writing = database.transaction(async (tx) => {
      await tx.execute({ sql: "INSERT INTO parent (name) VALUES (?)", args: ["a"] });
      inserted();
      await held;
    });
    await written;
    expect(await count()).toBe(0);
    release();
    await writing;
    expect(await count()).toBe(1);
    await expect(database.read("DELETE FROM parent")).rejects.toMatchObject({
      code: expect.stringMatching(/^SQLITE_READONLY/),
    });
    expect(await count()).toBe(1);
  });

  it("ends a transaction SQLite rolled back by itself, and one that has settled", async () => {
    await database.transaction((tx) =>
      tx.execute("CREATE TABLE r (name TEXT UNIQUE ON CONFLICT ROLLBACK)"),
    );
    const failure = await database
      .transaction(async (tx) => {
        await tx.execute({ sql: "INSERT INTO parent (name) VALUES (?)", args: ["before"] });
        await tx.execute({ sql: "INSERT INTO r (name) VALUES (?)", args: ["a"] });
        // The work catches the conflict and goes on: SQLite has already rolled everything back.
        await tx.execute({ sql: "INSERT INTO r (name) VALUES (?)", args: ["a"] }).catch(() => {});
        await tx.execute({ sql: "INSERT INTO parent (name) VALUES (?)", args: ["after"] });
      })
      .catch((caught: unknown) => caught);
    expect(codeOf(failure)).toBe("TRANSACTION_CLOSED");
    expect(await count()).toBe(0);
    let kept: Parameters<Parameters<DeviceDatabase["transaction"]>[0]>[0] | undefined;
    await database.transaction(async (tx) => {
      kept = tx;
    });
    await expect(kept?.execute("SELECT 1")).rejects.toMatchObject({ code: "TRANSACTION_CLOSED" });
  });

  it("lets the transactions asked for finish on close, then refuses every call", async () => {
    const queued = [1, 2, 3].map((i) =>
      database.transaction((tx) =>
        tx.execute({ sql: "INSERT INTO parent (name) VALUES (?)", args: [`n${i}`] }),
      ),
    );
    const closed = database.close();
    await expect(database.transaction((tx) => tx.execute("SELECT 1"))).rejects.toMatchObject({
      code: "DATABASE_CLOSED",
    });
    await Promise.all(queued);
    await closed;
    await expect(database.read("SELECT 1")).rejects.toMatchObject({ code: "DATABASE_CLOSED" });
    database = await open(dir.path);
    expect(await count()).toBe(3);
  });
});
