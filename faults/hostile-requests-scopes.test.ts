import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SyncOperation } from "../server/operation.ts";
import { queryFile } from "../test-utils/device-file.ts";
import { allowedWrites, nothingWritten, resultCodes, send } from "../test-utils/hostile-checks.ts";
import { type HostileWorld, startHostileWorld } from "../test-utils/hostile-world.ts";
import { insert, remove, update } from "../test-utils/operations.ts";
import { allRows, rowsInScopes } from "../test-utils/team-model.ts";
import { c1, c3 } from "../test-utils/team-seed.ts";
import { tablesOf } from "../test-utils/team-tables.ts";
import { syncBatchDocument } from "../test-utils/test-server.ts";

// Hostile requests of issue 18, scopes: subject `dev` (team t1) from its second device guesses at
// team t2's rows (project 2, task 3, comment c3). Each operation is refused on its own (the request
// is answered 200, the operation's verdict carries the code), no row changes, and a row it may not
// read gets the very bytes a key no row has gets: the same batch sent to the twin server, where
// team t2's rows were never made, answers the same text.
//
// Allowed server writes, every case: the batch's stored answer (sync_batch, so that a retry is
// answered the same) and the rate-limit bucket (sync_rate); per case as noted.

let world: HostileWorld;
beforeAll(async () => {
  world = await startHostileWorld();
  // The second device is bound before the cases, so no case binds it.
  const bound = await send(world.server, batch("bind", []), await world.bearer("dev"));
  const twinBound = await send(world.twin, batch("bind", []), await world.bearer("dev"));
  expect([bound.status, twinBound.status]).toEqual([200, 200]);
}, 30_000);
afterAll(async () => {
  await world?.close();
});
beforeEach(() => world.advance(3600));

function batch(batchId: string, operations: SyncOperation[]) {
  return {
    query: syncBatchDocument,
    // No answer is ever pruned here: one batchSeq serves every batch.
    variables: { input: { clientId: "dev-laptop", batchId, batchSeq: 1, operations } },
  };
}

/** An answer's text without what differs between two batches by design: batchId and eventId. */
const bare = (text: string, batchId: string) =>
  text.replace(/"eventId":"\d+"/, "").replace(batchId, "");

const batchWrites: readonly string[] = [allowedWrites.answer, allowedWrites.rate];

/** Sends the batch to the seeded server (checked for writes) and to the twin; answers both. */
async function hostileBatch(batchId: string, operations: SyncOperation[], allowed = batchWrites) {
  const headers = await world.bearer("dev");
  const seeded = await nothingWritten(
    world,
    () => send(world.server, batch(batchId, operations), headers),
    allowed,
  );
  const missing = await send(world.twin, batch(batchId, operations), headers);
  return { seeded, missing };
}

describe("hostile writes outside the request's scopes", () => {
  it("a guessed key of another scope, UPDATE: NOT_FOUND, byte-identical to a missing key", async () => {
    const { seeded, missing } = await hostileBatch("guess-update", [
      update("project", 2, { name: "mine now" }),
      update("task", 3, { title: "mine now" }),
    ]);
    expect([seeded.status, ...resultCodes(seeded)]).toEqual([200, "NOT_FOUND", "NOT_FOUND"]);
    expect(seeded.text).toBe(missing.text);
  });

  it("a guessed key of another scope, DELETE: NOT_FOUND, byte-identical to a missing key", async () => {
    const { seeded, missing } = await hostileBatch("guess-delete", [
      remove("task", 3),
      remove("comment", c3),
      remove("project", 2),
    ]);
    expect([seeded.status, ...resultCodes(seeded)]).toEqual([
      200,
      "NOT_FOUND",
      "NOT_FOUND",
      "NOT_FOUND",
    ]);
    expect(seeded.text).toBe(missing.text);
  });

  it("an UPDATE moving its own row into another scope: FORBIDDEN, the same for a scope no row has", async () => {
    const into = (team: string, batchId: string) =>
      hostileBatch(
        batchId,
        [update("project", 1, { team_id: team })],
        [...batchWrites, ...allowedWrites.giveBack],
      );
    const states = "SELECT table_name, row_key, version, scope, deleted FROM sync_row ORDER BY seq";
    const before = await world.server.rows(states);
    const foreign = await into("t2", "move-t2");
    expect([foreign.seeded.status, ...resultCodes(foreign.seeded)]).toEqual([200, "FORBIDDEN"]);
    expect(foreign.seeded.json.data).toMatchObject({
      syncBatch: {
        results: [{ error: { message: expect.stringMatching(/move the row into a scope/) } }],
      },
    });
    const nowhere = await into("t99", "move-t99");
    // Sent back (moved to the end of the sequence), but its version and scope are what they were.
    const after = await world.server.rows(states);
    const byKey = (rows: typeof before) =>
      rows
        .map((r) => ({ ...r }))
        .sort((a, b) =>
          `${a.table_name}:${a.row_key}`.localeCompare(`${b.table_name}:${b.row_key}`),
        );
    expect(byKey(after)).toEqual(byKey(before));
    expect(bare(foreign.seeded.text, "move-t2")).toBe(bare(nowhere.seeded.text, "move-t99"));
  });

  it("an INSERT referencing a parent of another scope: CONSTRAINT_VIOLATION, byte-identical to a missing parent", async () => {
    const { seeded, missing } = await hostileBatch(
      "foreign-parent",
      [
        insert("task", -1, { project_id: 2, tag_id: null, title: "into t2" }),
        insert("comment", "44444444-4444-4444-8444-444444444444", { task_id: 3, body: "into t2" }),
      ],
      [...batchWrites, allowedWrites.rejectedKey, allowedWrites.rejectedRow],
    );
    expect([seeded.status, ...resultCodes(seeded)]).toEqual([
      200,
      "CONSTRAINT_VIOLATION",
      "CONSTRAINT_VIOLATION",
    ]);
    expect(seeded.text).toBe(missing.text);
  });

  it("another client's temporary key: UNKNOWN_TEMP_KEY, byte-identical to a key no client used", async () => {
    // `admin` inserted project 2 as its temporary key -2; the twin's admin never used -2.
    const { seeded, missing } = await hostileBatch(
      "borrowed-temp-key",
      [
        insert("task", -5, { project_id: -2, tag_id: null, title: "into t2" }),
        update("project", -2, { name: "mine now" }),
      ],
      [...batchWrites, allowedWrites.rejectedKey],
    );
    expect([seeded.status, ...resultCodes(seeded)]).toEqual([
      200,
      "UNKNOWN_TEMP_KEY",
      "UNKNOWN_TEMP_KEY",
    ]);
    expect(seeded.text).toBe(missing.text);
  });

  it("a UUID already used in another scope: CONSTRAINT_VIOLATION, the same as a UUID of its own scope", async () => {
    // A device-made key that exists anywhere cannot be inserted again, so that much is known to
    // any client; which scope holds it is not: the answer is the one for a row it can see (c1).
    const taken = (uuid: string, batchId: string) =>
      hostileBatch(
        batchId,
        [insert("comment", uuid, { task_id: 1, body: "taken" })],
        [...batchWrites, allowedWrites.rejectedRow],
      );
    const foreign = await taken(c3, "taken-uuid");
    expect([foreign.seeded.status, ...resultCodes(foreign.seeded)]).toEqual([
      200,
      "CONSTRAINT_VIOLATION",
    ]);
    const own = await taken(c1, "own-uuid");
    expect(bare(foreign.seeded.text, "taken-uuid")).toBe(bare(own.seeded.text, "own-uuid"));
  });

  it("the device, syncing after all of it, holds exactly the server's rows of team t1", async () => {
    await world.device.sync();
    const inT1 = rowsInScopes(["t1"]);
    const server = await tablesOf(async (sql) =>
      (await world.server.rows(sql)).map((row) => ({ ...row })),
    );
    const scoped = await tablesOf(async (sql) =>
      (
        await world.server.rows(
          inT1[Object.entries(allRows).find(([, all]) => all === sql)?.[0] as keyof typeof inT1],
        )
      ).map((row) => ({ ...row })),
    );
    expect(scoped.project.map((r) => r.team_id)).toEqual(["t1", "t1"]);
    expect(server.project).toHaveLength(3);
    expect(await tablesOf((sql) => queryFile(world.devicePath, sql))).toEqual(scoped);
  });
});
