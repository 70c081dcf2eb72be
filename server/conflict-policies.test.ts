import { afterEach, describe, expect, it } from "vitest";
import { changedByAnother, edit, erase, one, row } from "../test-utils/conflict-requests.ts";
import {
  closeConflictServer,
  decideWith,
  seen,
  startConflictServer,
} from "../test-utils/conflict-server.ts";
import { insert } from "../test-utils/operations.ts";

// Contract tests of SYNC.md "Conflicts", over HTTP, policy by policy: what each table's policy
// writes and reports, and replays answering the stored verdict.

afterEach(closeConflictServer);

describe("conflicts, policy by policy", () => {
  it("mergeColumns (client wins): an overlapping column is the client's, reported CLIENT_WON", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "merged", "title", "from b");
    const result = await one(s, "a", edit("merged", 1, { title: "from a" }, 1, { title: "first" }));
    expect(result).toEqual({
      eventId: expect.any(String),
      status: "APPLIED",
      error: null,
      version: 3,
      conflict: {
        serverVersion: 2,
        serverRow: { title: "from a", body: "body", color: "white" },
        columns: ["title"],
        resolution: "CLIENT_WON",
      },
    });
  });

  it("mergeColumns: disjoint columns merge, reported MERGED", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "merged", "color", "red");
    const result = await one(s, "a", edit("merged", 1, { body: "from a" }, 1, { body: "body" }));
    expect(result?.conflict).toEqual({
      serverVersion: 2,
      serverRow: { title: "first", body: "from a", color: "red" },
      columns: [],
      resolution: "MERGED",
    });
    expect(await row(s, "merged")).toEqual({ id: 1, title: "first", body: "from a", color: "red" });
  });

  it("mergeColumns (server wins columns): overlapping columns stay the server's", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "server_merged", "title", "from b");
    const both = await one(
      s,
      "a",
      edit("server_merged", 1, { title: "from a", body: "from a" }, 1, {
        title: "first",
        body: "body",
      }),
    );
    expect(both).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { columns: ["title"], resolution: "MERGED" },
    });
    expect(await row(s, "server_merged")).toMatchObject({ title: "from b", body: "from a" });
    // Every column taken by the other writer: nothing written, the version stays.
    const none = await one(
      s,
      "a",
      edit("server_merged", 1, { title: "again" }, 1, { title: "first" }),
    );
    expect(none).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { serverVersion: 3, columns: ["title"], resolution: "SERVER_WON" },
    });
    expect(await row(s, "server_merged")).toMatchObject({ title: "from b" });
  });

  it("serverWins: a stale UPDATE and a stale DELETE are REJECTED with CONFLICT and the server's row", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "server_wins", "title", "from b");
    const stale = await one(
      s,
      "a",
      edit("server_wins", 1, { color: "blue" }, 1, { color: "white" }),
    );
    expect(stale).toMatchObject({
      status: "REJECTED",
      error: { code: "CONFLICT", message: expect.stringMatching(/version 2/) },
      version: null,
      conflict: {
        serverVersion: 2,
        serverRow: { title: "from b", body: "body", color: "white" },
        columns: [],
        resolution: "SERVER_WON",
      },
    });
    expect(await one(s, "a", erase("server_wins", 1, 1))).toMatchObject({
      status: "REJECTED",
      error: { code: "CONFLICT" },
    });
    expect(await row(s, "server_wins")).toMatchObject({ title: "from b", color: "white" });
    // Based on the version it now holds, the same change applies.
    expect(
      await one(s, "a", edit("server_wins", 1, { color: "blue" }, 2, { color: "white" })),
    ).toMatchObject({ status: "APPLIED", version: 3, conflict: null });
  });

  it("none: no check, no conflict reported", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "unchecked", "title", "from b");
    expect(
      await one(s, "a", edit("unchecked", 1, { title: "from a" }, 1, { title: "first" })),
    ).toMatchObject({ status: "APPLIED", version: 3, conflict: null });
  });

  it("custom: the function gets base, incoming and the server's row, and may write, accept or reject", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "custom", "title", "from b");
    decideWith(({ incoming, serverRow }) => ({
      write: { title: `${serverRow.title} + ${incoming?.title}` },
    }));
    const merged = await one(s, "a", edit("custom", 1, { title: "from a" }, 1, { title: "first" }));
    expect(seen[0]).toEqual({
      table: "custom",
      key: "1",
      clientId: "a",
      kind: "UPDATE",
      baseVersion: 1,
      base: { title: "first" },
      incoming: { title: "from a" },
      serverRow: { title: "from b", body: "body", color: "white" },
      serverVersion: 2,
      columns: ["title"],
    });
    // A replay answers from the stored verdict: the function is not asked again.
    expect(seen).toHaveLength(1);
    expect(merged).toMatchObject({
      status: "APPLIED",
      version: 3,
      conflict: { resolution: "MERGED", serverRow: { title: "from b + from a" } },
    });
    decideWith(() => ({ reject: "titles are settled by the editor" }));
    expect(
      await one(s, "a", edit("custom", 1, { title: "late" }, 1, { title: "first" })),
    ).toMatchObject({
      status: "REJECTED",
      error: { code: "CONFLICT", message: "titles are settled by the editor" },
      conflict: { resolution: "SERVER_WON" },
    });
    decideWith(() => ({ accept: true }));
    expect(await one(s, "a", erase("custom", 1, 1))).toMatchObject({
      status: "APPLIED",
      conflict: { resolution: "CLIENT_WON", serverRow: null },
    });
  });

  it("custom: a function that throws fails the whole request, nothing applied, the error masked", async () => {
    const s = await startConflictServer();
    await changedByAnother(s, "custom", "title", "from b");
    decideWith(() => {
      throw new Error("secret detail of the app");
    });
    const response = await s.gql(
      "mutation($input: SyncBatchInput!) { syncBatch(input: $input) { batchId } }",
      {
        input: {
          clientId: "a",
          batchId: "throws",
          batchSeq: 1,
          operations: [
            insert("merged", -1, { title: "not kept" }),
            edit("custom", 1, { title: "from a" }, 1, { title: "first" }),
          ],
        },
      },
    );
    expect(response.text).not.toContain("secret detail");
    expect(response.errors?.[0]?.message).toBe("Unexpected error.");
    expect(await s.rows("SELECT count(*) AS n FROM merged")).toEqual([{ n: 0 }]);
    expect(await row(s, "custom")).toMatchObject({ title: "from b" });
  });
});
