import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryFile } from "../test-utils/device-file.ts";
import {
  allowedWrites,
  nothingWritten,
  type RawAnswer,
  send,
  verdict,
} from "../test-utils/hostile-checks.ts";
import { deviceId, type HostileWorld, startHostileWorld } from "../test-utils/hostile-world.ts";
import { insert } from "../test-utils/operations.ts";
import { syncChangesDocument } from "../test-utils/receive.ts";
import { syncBatchDocument } from "../test-utils/test-server.ts";

// Hostile requests of issue 18, clientIds and cursors: another subject's device, revoked and
// surplus clientIds, replays, borrowed and tampered cursors, page limits, floods and aliases.
// A request refused whole writes nothing at all: the binding is checked first and the refusal
// rolls the request's transaction back (the rate-limit bucket too). A request that passes the
// binding takes a token from its buckets (sync_rate), the one write allowed, noted per case.

let world: HostileWorld;
/** The device's cursor, as its file holds it after its first receive. */
let deviceCursor: string;
beforeAll(async () => {
  world = await startHostileWorld();
  const dev = await world.bearer("dev");
  const eve = await world.bearer("eve");
  // `dev` holds a second device and a revoked one; `eve` holds all four clientIds she may.
  for (const clientId of ["dev-laptop", "dev-tablet"])
    await send(world.server, changes(clientId), dev);
  for (const n of [1, 2, 3, 4]) await send(world.server, changes(`eve-${n}`), eve);
  await world.server.sync.store.writeTransaction((tx) => tx.revokeClient("dev-tablet"));
  const [state] = await world.server.rows("SELECT count(*) AS n FROM sync_client");
  expect(Number(state?.n)).toBe(1 + 2 + 4 + 1); // admin, dev's three, eve's four
  const [row] = await queryFile(
    world.devicePath,
    "SELECT value FROM sync_state WHERE name = 'receive_cursor'",
  );
  deviceCursor = String(row?.value);
}, 30_000);
afterAll(async () => {
  await world?.close();
});
beforeEach(() => world.advance(3600));

function changes(clientId: string, extra: Record<string, unknown> = {}) {
  return { query: syncChangesDocument, variables: { input: { clientId, cursor: null, ...extra } } };
}
function batch(clientId: string, batchId: string) {
  const operations = [insert("project", -1, { team_id: "t2", name: "eve's" })];
  const input = { clientId, batchId, batchSeq: 1, operations };
  return { query: syncBatchDocument, variables: { input } };
}

/** Sends as `sub`, checking nothing is written but `allowed`. */
async function hostile(
  sub: string,
  body: unknown,
  allowed: readonly string[] = [],
): Promise<RawAnswer> {
  const headers = await world.bearer(sub);
  return nothingWritten(world, () => send(world.server, body, headers), allowed);
}

/** A refusal of the whole request: the code, no data, nothing of the device in the text. */
function refusedWhole(answer: RawAnswer, expected: [number, string]) {
  expect(verdict(answer)).toEqual(expected);
  expect(answer.json.data ?? null).toBeNull();
  expect(answer.text).not.toMatch(/from the phone|keyMappings|"changes"/);
}

describe("hostile clientIds", () => {
  it("a clientId bound to another subject: FORBIDDEN, for syncBatch and syncChanges", async () => {
    refusedWhole(await hostile("eve", batch(deviceId, "eve-1")), [200, "FORBIDDEN"]);
    refusedWhole(await hostile("eve", changes(deviceId)), [200, "FORBIDDEN"]);
  });

  it("another client's (clientId, batchId) replayed byte for byte: FORBIDDEN, its stored answer unread", async () => {
    const original = world.deviceBatches[0] as string;
    const answer = await hostile("eve", original);
    refusedWhole(answer, [200, "FORBIDDEN"]);
    // The same bytes from its owner are a replay, answered from the stored answer.
    const owner = await hostile("dev", original, [allowedWrites.rate]);
    expect([...verdict(owner), owner.json.data?.syncBatch]).toEqual([
      200,
      null,
      expect.objectContaining({ replayed: true }),
    ]);
  });

  it("a revoked clientId: FORBIDDEN", async () => {
    refusedWhole(await hostile("dev", changes("dev-tablet")), [200, "FORBIDDEN"]);
    const answer = await hostile("dev", batch("dev-tablet", "b1"));
    refusedWhole(answer, [200, "FORBIDDEN"]);
    expect(answer.json.errors?.[0]?.message).toMatch(/was revoked/);
  });

  it("a clientId over the subject's quota: FORBIDDEN, not bound", async () => {
    const answer = await hostile("eve", batch("eve-5", "b1"));
    refusedWhole(answer, [200, "FORBIDDEN"]);
    expect(answer.json.errors?.[0]?.message).toMatch(
      /one more clientId than this subject may hold/,
    );
  });

  it("churning new clientIds: each FORBIDDEN, none bound, none given a bucket", async () => {
    const answers = await nothingWritten(world, async () => {
      const headers = await world.bearer("eve");
      const out: Array<[number, string | null]> = [];
      for (let n = 5; n < 25; n++) {
        out.push(verdict(await send(world.server, changes(`eve-${n}`), headers)));
        out.push(verdict(await send(world.server, batch(`eve-${n}`, "b1"), headers)));
      }
      return { out };
    });
    expect(new Set(answers.out.map((v) => JSON.stringify(v)))).toEqual(
      new Set([JSON.stringify([200, "FORBIDDEN"])]),
    );
    // Her bound clientIds go on.
    expect(verdict(await send(world.server, changes("eve-1"), await world.bearer("eve")))).toEqual([
      200,
      null,
    ]);
  });
});

describe("hostile cursors", () => {
  it("a tampered cursor (its scopes claimed as every scope): INVALID_CURSOR", async () => {
    const [payload, signature] = deviceCursor.split(".") as [string, string];
    const fields = JSON.parse(Buffer.from(payload, "base64url").toString()) as unknown[];
    fields[4] = "all";
    const forged = `${Buffer.from(JSON.stringify(fields)).toString("base64url")}.${signature}`;
    const answer = await hostile("dev", changes(deviceId, { cursor: forged }), [
      allowedWrites.rate,
    ]);
    refusedWhole(answer, [200, "INVALID_CURSOR"]);
  });

  it("a borrowed cursor, by the owner's other device and by another subject: INVALID_CURSOR", async () => {
    for (const [sub, clientId] of [
      ["dev", "dev-laptop"],
      ["eve", "eve-1"],
    ] as const) {
      const answer = await hostile(sub, changes(clientId, { cursor: deviceCursor }), [
        allowedWrites.rate,
      ]);
      refusedWhole(answer, [200, "INVALID_CURSOR"]);
      expect(answer.text).not.toContain(deviceCursor.slice(0, 40));
    }
  });
});

describe("hostile page limits", () => {
  it("a limit of a billion is clamped to the server's page size", async () => {
    const answer = await hostile("dev", changes("dev-laptop", { limit: 1_000_000_000 }), [
      allowedWrites.rate,
    ]);
    expect(verdict(answer)).toEqual([200, null]);
    const page = answer.json.data?.syncChanges as { changes: unknown[] };
    expect(page.changes.length).toBeLessThanOrEqual(world.server.sync.limits.maxChangesPerPage);
  });

  it("a limit below one: BAD_USER_INPUT; beyond a 32-bit Int: HTTP 400", async () => {
    for (const limit of [-1, 0, -2_147_483_648]) {
      const answer = await hostile("dev", changes("dev-laptop", { limit }), [allowedWrites.rate]);
      refusedWhole(answer, [200, "BAD_USER_INPUT"]);
    }
    // GraphQL's own coercion refuses it before any resolver runs: HTTP 400 and BAD_USER_INPUT
    // (as every bad variable of the API is answered; see faults/bad-input-server.test.ts).
    const huge = await hostile("dev", changes("dev-laptop", { limit: 1e12 }));
    expect(verdict(huge)).toEqual([400, "BAD_USER_INPUT"]);
    expect(huge.json.errors?.[0]?.message).toMatch(
      /Int cannot represent non 32-bit signed integer/,
    );
  });
});

describe("hostile volume", () => {
  it("a request flood: 429 RATE_LIMITED for that client only, nothing written by the refusals", async () => {
    const dev = await world.bearer("dev");
    for (let i = 0; i < 5; i++) {
      expect(verdict(await send(world.server, changes("dev-laptop"), dev))).toEqual([200, null]);
    }
    const flood = await nothingWritten(world, async () => {
      const out: RawAnswer[] = [];
      for (let i = 0; i < 30; i++) out.push(await send(world.server, changes("dev-laptop"), dev));
      out.push(await send(world.server, batch("dev-laptop", "flood"), dev));
      return { out };
    });
    for (const answer of flood.out) {
      expect([...verdict(answer), answer.retryAfter]).toEqual([429, "RATE_LIMITED", "12"]);
    }
    // Another subject's client, and the same subject's other device, go on.
    expect(verdict(await send(world.server, changes("eve-1"), await world.bearer("eve")))).toEqual([
      200,
      null,
    ]);
    const report = await world.device.sync();
    expect(report.send.batches + report.receive.pages).toBeGreaterThan(0);
  });

  it("aliased syncChanges fields: BAD_USER_INPUT, nothing read or written", async () => {
    const field = (alias: string, clientId: string) =>
      `${alias}: syncChanges(input: { clientId: "${clientId}" }) { changes { key data } cursor }`;
    for (const query of [
      `{ ${field("a", "dev-laptop")} ${field("b", "dev-laptop")} }`,
      `{ ${field("a", "dev-laptop")} ${field("b", deviceId)} ${field("c", "dev-new")} }`,
      `{ ${field("a", "dev-laptop")} ...More } fragment More on Query { ${field("b", "dev-laptop")} }`,
    ]) {
      const answer = await hostile("dev", { query });
      refusedWhole(answer, [200, "BAD_USER_INPUT"]);
      expect(answer.json.errors?.[0]?.message).toMatch(/syncChanges \d times/);
    }
  });
});
