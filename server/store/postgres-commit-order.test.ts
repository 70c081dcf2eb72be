import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { examplePgMigrations } from "../../schema/generated/example-pg-migrations.ts";
import { exampleModel, type TableInfo } from "../../schema/index.ts";
import { freshPostgresDatabase, postgresUrlForTests } from "../../test-utils/test-postgres.ts";
import { createPostgresStore } from "./postgres-store.ts";
import type { StoredChange, SyncStore } from "./sync-store.ts";

// Two processes over one database: a transaction that took an early change sequence number and
// has not committed yet must never be passed by a page that delivers a later number. With
// `nextval()` it would be: the later transaction commits first, a device's cursor moves past it,
// and the early change, committed afterwards below the cursor, is never delivered.

let database: { url: string; drop(): Promise<void> };
let stores: SyncStore[] = [];

beforeEach(async () => {
  database = await freshPostgresDatabase(postgresUrlForTests());
  stores = [];
  // One store per "process": each its own pool, the first one migrates.
  for (let i = 0; i < 3; i++) {
    stores.push(
      await createPostgresStore({
        url: database.url,
        modelMigrations: examplePgMigrations,
        poolSize: 2,
      }),
    );
  }
});

afterEach(async () => {
  for (const store of stores) await store.close();
  await database.drop();
});

const note = exampleModel.byName.get("note") as TableInfo;

/** Writes one note and its sync state in a transaction of `store`, its number from the store. */
function writeNote(
  store: SyncStore,
  key: string,
  steps: { numbered?: (seq: number) => void; hold?: Promise<void> } = {},
): Promise<number> {
  return store.writeTransaction(async (tx) => {
    const seq = await tx.reserveSeqs(1);
    steps.numbered?.(seq);
    const row = note.columns.map((column) =>
      column.name === "id" ? key : column.name === "body" ? key : null,
    );
    await tx.insertRows([{ table: note, rows: [row] }]);
    await tx.saveRowStates(
      [
        {
          table: "note",
          key,
          seq,
          version: 1,
          scope: "",
          deleted: false,
          writer: "",
          writerFrom: 1,
        },
      ],
      Date.now(),
    );
    await steps.hold;
    return seq;
  });
}

/** Every change above `after`, one page, as a device with every scope reads it. */
async function pageAfter(store: SyncStore, after: number): Promise<StoredChange[]> {
  const page = await store.readChanges({
    model: exampleModel,
    after,
    floor: 0,
    scopes: undefined,
    clientId: "reader",
    limit: 100,
  });
  return [...page.changes];
}

const settleFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the change sequence on PostgreSQL follows commit order", () => {
  it("delivers a change numbered early and committed late to a reader whose page came between", async () => {
    const [first, second, reader] = stores as [SyncStore, SyncStore, SyncStore];
    let release: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let early = 0;
    const numbered = new Promise<void>((resolve) => {
      void writeNote(first, "early", {
        numbered: (seq) => {
          early = seq;
          resolve();
        },
        hold,
      }).then(() => undefined);
    });
    await numbered;
    // The early transaction holds its number, uncommitted. A later one runs meanwhile.
    let lateCommitted = false;
    const late = writeNote(second, "late").then((seq) => {
      lateCommitted = true;
      return seq;
    });
    await settleFor(500);
    // A device reads a page now and keeps its cursor: the last sequence it was given.
    const between = await pageAfter(reader, 0);
    const cursor = between.at(-1)?.seq ?? 0;
    expect(between.map((change) => change.key)).not.toContain("early");
    // The later transaction could not take a number below the early one's commit: it waits.
    expect(lateCommitted).toBe(false);
    release();
    const lateSeq = await late;
    expect(lateSeq).toBeGreaterThan(early);
    // From the cursor on, the early change is delivered, and then the later one: nothing lost.
    const after = await pageAfter(reader, cursor);
    expect(after.map((change) => [change.key, change.seq])).toEqual([
      ["early", early],
      ["late", lateSeq],
    ]);
  });

  it("lets a page read between two commits deliver the first and the second after it", async () => {
    const [first, second, reader] = stores as [SyncStore, SyncStore, SyncStore];
    const a = await writeNote(first, "a");
    const page = await pageAfter(reader, 0);
    expect(page.map((change) => change.key)).toEqual(["a"]);
    const b = await writeNote(second, "b");
    expect(b).toBeGreaterThan(a);
    expect((await pageAfter(reader, a)).map((change) => change.key)).toEqual(["b"]);
  });
});
