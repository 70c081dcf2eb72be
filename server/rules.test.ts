import { afterEach, describe, expect, it } from "vitest";
import { insert, remove, update } from "../test-utils/operations.ts";
import { sendBatch } from "../test-utils/receive.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";
import type { SyncOperation } from "./operation.ts";
import type { SyncRules } from "./sync-rules.ts";

// Contract tests of SYNC.md "Server rules" on the example model (customer, invoice, note): rules
// that change values, reject (with the default code or the app's), throw (the request fails whole,
// masked), and replays that run no rule again.

let server: TestServer | undefined;
const calls: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  calls.length = 0;
});

async function start(rules: SyncRules): Promise<TestServer> {
  server = await startTestServer({ rules });
  return server;
}

const customer = (key: number, name: string, email: string | null = null) =>
  insert("customer", key, { name, email });

const rows = async (s: TestServer) => s.rows("SELECT id, name, email FROM customer ORDER BY id");

describe("server rules", () => {
  it("beforeOperation changes values and rejects, with RULE_VIOLATION or the app's code; dependents follow", async () => {
    const s = await start({
      beforeOperation: ({ table, kind, data }) => {
        calls.push(`${kind} ${table}`);
        if (table !== "customer" || !data) return undefined;
        if (data.name === "") return { reject: "a customer needs a name" };
        if (data.name === "banned")
          return { reject: { code: "BANNED_NAME", message: "not that one" } };
        if (typeof data.email === "string")
          return { data: { ...data, email: data.email.toLowerCase() } };
        return undefined;
      },
    });
    const operations: SyncOperation[] = [
      customer(-1, "Ada", "ADA@EXAMPLE.COM"),
      customer(-2, ""),
      insert("invoice", -1, { customer_id: -2, issued_at: "2026-12-03", total: 1 }),
      customer(-3, "banned"),
    ];
    const answer = await sendBatch(s, "dev", "b1", operations);
    expect(answer.results.map((r) => [r.status, r.error?.code ?? null])).toEqual([
      ["APPLIED", null],
      ["REJECTED", "RULE_VIOLATION"],
      ["REJECTED", "DEPENDENCY_REJECTED"],
      ["REJECTED", "BANNED_NAME"],
    ]);
    expect(answer.results[1]?.error?.message).toBe("a customer needs a name");
    expect(await rows(s)).toEqual([{ id: 1, name: "Ada", email: "ada@example.com" }]);
    // A replay answers from the stored verdicts: no rule runs again.
    const before = calls.length;
    const replay = await sendBatch(s, "dev", "b1", operations);
    expect(replay.replayed).toBe(true);
    expect(replay.results).toEqual(answer.results);
    expect(calls).toHaveLength(before);
  });

  it("data a rule gives is checked as a device's is", async () => {
    const s = await start({ beforeOperation: () => ({ data: { no_such_column: 1 } }) });
    const answer = await sendBatch(s, "dev", "b1", [customer(-1, "Ada")]);
    expect(answer.results[0]?.error?.code).toBe("UNKNOWN_COLUMN");
  });

  it("a rejected UPDATE gives the device the server's row back", async () => {
    const s = await start({
      beforeOperation: ({ kind }) => (kind === "UPDATE" ? { reject: "read-only" } : undefined),
    });
    await sendBatch(s, "dev", "b1", [customer(-1, "Ada")]);
    const answer = await sendBatch(s, "dev", "b2", [update("customer", 1, { name: "Eve" })]);
    expect(answer.results[0]?.error).toEqual({ code: "RULE_VIOLATION", message: "read-only" });
    const [state] = await s.rows("SELECT version, seq FROM sync_row WHERE table_name = 'customer'");
    expect(state).toMatchObject({ version: 1 });
    expect(Number(state?.seq)).toBeGreaterThan(1);
  });

  it("before and after rules run in order inside the transaction; afterCommit after it, not for a replay", async () => {
    const seen: string[] = [];
    const s = await start({
      beforeBatch: ({ batchId, operations }) => {
        seen.push(`beforeBatch ${batchId} ${operations.length}`);
      },
      beforeOperation: ({ index }) => {
        seen.push(`before ${index}`);
      },
      afterOperation: ({ index, result }) => {
        seen.push(`after ${index} ${result.status} v${result.version}`);
      },
      afterBatch: ({ results, keyMappings }) => {
        seen.push(`afterBatch ${results.length} ${keyMappings.length}`);
      },
      afterCommit: ({ batchId }) => {
        seen.push(`afterCommit ${batchId}`);
      },
    });
    const operations = [customer(-1, "Ada"), update("customer", -1, { email: "a@x" })];
    await sendBatch(s, "dev", "b1", operations);
    await sendBatch(s, "dev", "b1", operations);
    expect(seen).toEqual([
      "beforeBatch b1 2",
      "before 0",
      "before 1",
      "after 0 APPLIED v1",
      "after 1 APPLIED v2",
      "afterBatch 2 1",
      "afterCommit b1",
    ]);
  });

  it.each([
    ["beforeBatch", { beforeBatch: () => Promise.reject(new Error("secret")) }],
    [
      "beforeOperation",
      {
        beforeOperation: () => {
          throw new Error("secret");
        },
      },
    ],
    [
      "afterOperation",
      {
        afterOperation: () => {
          throw new Error("secret");
        },
      },
    ],
    [
      "afterBatch",
      {
        afterBatch: async () => {
          throw new Error("secret");
        },
      },
    ],
    [
      "a bad verdict",
      { beforeOperation: () => ({ reject: { code: "lower case", message: "m" } }) },
    ],
  ] as Array<[string, SyncRules]>)(
    "a rule that throws (%s) fails the request whole, masked, nothing applied",
    async (_name, rules) => {
      const s = await start(rules);
      const response = await s.gql(
        "mutation($input: SyncBatchInput!) { syncBatch(input: $input) { batchId } }",
        {
          input: {
            clientId: "dev",
            batchId: "b1",
            batchSeq: 1,
            operations: [customer(-1, "Ada"), remove("customer", 7)],
          },
        },
      );
      expect(response.errors?.[0]?.message).toBe("Unexpected error.");
      expect(response.text).not.toContain("secret");
      expect(await rows(s)).toEqual([]);
      expect(await s.rows("SELECT count(*) AS n FROM sync_batch")).toEqual([{ n: 0 }]);
    },
  );

  it("an afterCommit that throws changes nothing: the batch is committed and answered", async () => {
    const s = await start({
      afterCommit: () => {
        throw new Error("mail server down");
      },
    });
    const answer = await sendBatch(s, "dev", "b1", [customer(-1, "Ada")]);
    expect(answer.results[0]?.status).toBe("APPLIED");
    expect(await rows(s)).toHaveLength(1);
  });
});
