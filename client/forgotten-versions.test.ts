import { afterAll, describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { migratingDevice } from "../test-utils/migrating-device.ts";
import { sendFixtures } from "../test-utils/send-fixtures.ts";
import { outboxMigrations } from "./generated/outbox-migrations.ts";
import { createNodeFetch } from "./index.ts";

// A rejected UPDATE makes the device forget its row's version (the row holds values the server
// refused: the next receive must take the server's row, even at that same version), and keep it,
// negated, as the base of an edit before then, whether or not the app removes the rejected event.
// Here the server's rules refuse a write (no other writer: its row stays at the version forgotten).

const fixtures = sendFixtures();
const inner = createNodeFetch();
afterAll(() => inner.close());

/** The client's own fetch, keeping the operations of every `syncBatch` it posts. */
function tapOperations() {
  const sent: Array<Record<string, unknown>> = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const body = init?.body;
    const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body);
    const request = JSON.parse(text) as {
      variables: { input: { operations?: Array<Record<string, unknown>> } };
    };
    sent.push(...(request.variables.input.operations ?? []));
    return inner(input, init);
  };
  return { fetch, sent };
}

describe("a version forgotten after a rejected UPDATE", () => {
  it("is the base of an edit after the app removed the event, and a receive still undoes the refused write", async () => {
    const server = await fixtures.server({
      rules: {
        beforeOperation: (operation) =>
          operation.data?.name === "refused" ? { reject: "no such name" } : undefined,
      },
    });
    const requests = tapOperations();
    const device = await fixtures.device(server.endpoint, { fetch: requests.fetch });
    const { client } = device;
    await client.insert(t.customer, { name: "Ada" });
    await client.send();
    await client.update(t.customer, 1, { name: "refused" });
    expect(await client.send()).toMatchObject({ applied: 0, rejected: 1 });
    expect(await device.rows("SELECT version FROM sync_row_version")).toEqual([{ version: -1 }]);
    const [rejected] = await client.events({ status: "rejected" });
    await client.removeEvent(rejected?.id ?? 0);
    await client.update(t.customer, 1, { email: "ada@example.com" });
    requests.sent.length = 0;
    expect(await client.send()).toMatchObject({ applied: 1, rejected: 0 });
    expect(requests.sent).toEqual([
      expect.objectContaining({ kind: "UPDATE", baseVersion: 1, base: { email: null } }),
    ]);
    await client.receive();
    expect(await client.db.select().from(t.customer)).toEqual([
      { id: 1, name: "Ada", email: "ada@example.com" },
    ]);
    expect(await device.rows("SELECT version FROM sync_row_version")).toEqual([{ version: 2 }]);
  });

  it("lets a receive take the server's row at that very version", async () => {
    const server = await fixtures.server({
      rules: {
        beforeOperation: (operation) =>
          operation.data?.name === "refused" ? { reject: "no such name" } : undefined,
      },
    });
    const device = await fixtures.device(server.endpoint);
    const { client } = device;
    await client.insert(t.customer, { name: "Ada" });
    await client.send();
    await client.update(t.customer, 1, { name: "refused" });
    await client.send();
    const [rejected] = await client.events({ status: "rejected" });
    await client.removeEvent(rejected?.id ?? 0);
    await client.receive();
    expect(await client.db.select().from(t.customer)).toEqual([
      { id: 1, name: "Ada", email: null },
    ]);
  });
});

// The forgotten_versions migration: a device of the release before forgot a row's version by
// deleting it when a write of the row was rejected, and its edits took their base from the
// rejected events. It now keeps the version negated (sync_row_version); the step gives such rows
// the base their edits used, so that removing the rejected event no longer loses it.

/** A rejected event of `note` row `key`, based on `baseVersion` (none: null). */
const rejected = (seq: number, kind: string, key: string, baseVersion: number | null) => ({
  sql: `INSERT INTO sync_outbox (seq, kind, table_name, row_key, operation, status)
        VALUES (?, ?, 'note', ?, ?, 'rejected')`,
  args: [seq, kind, key, JSON.stringify(baseVersion === null ? {} : { baseVersion })],
});

describe("the forgotten_versions migration", () => {
  it("keeps, negated, the newest base of a row's rejected events when its version is gone", async () => {
    const { database, migrate, stepOf, close } = await migratingDevice("forgotten-versions-");
    try {
      const step = stepOf("forgotten");
      expect(step).toBeGreaterThan(0);
      await migrate(step);
      await database.transaction((tx) =>
        tx.batch([
          // a: forgotten, two rejected updates; b: forgotten, a delete without a base; c: known
          // again (a receive came), its rejected event kept; d: a pending event only.
          rejected(1, "update", "a", 3),
          rejected(2, "delete", "a", 5),
          rejected(3, "update", "a", 4),
          rejected(4, "delete", "b", null),
          rejected(5, "update", "c", 2),
          "INSERT INTO sync_row_version VALUES ('note', 'c', 7)",
          `INSERT INTO sync_outbox (seq, kind, table_name, row_key, operation)
           VALUES (6, 'update', 'note', 'd', '{"baseVersion":9}')`,
        ]),
      );
      await migrate(outboxMigrations.length);
      const { rows } = await database.read(
        "SELECT row_key, version FROM sync_row_version ORDER BY row_key",
      );
      expect(rows.map((row) => [row[0], row[1]])).toEqual([
        ["a", -5],
        ["c", 7],
      ]);
    } finally {
      await close();
    }
  });
});
