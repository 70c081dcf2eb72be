import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";

interface Request {
  variables: {
    input: { batchId: string; operations: Array<{ eventId: string; table: string; key: string }> };
  };
}
type Answer = (request: Request) => { status?: number; body: string };

let fake: Server | undefined;
let device: TestDevice | undefined;
afterEach(async () => {
  await device?.close();
  fake?.closeAllConnections();
  await new Promise((resolve) => (fake ? fake.close(resolve) : resolve(undefined)));
  device = fake = undefined;
});

/** A server that answers every request with what `answer` makes of it. */
async function fakeServer(answer: Answer): Promise<string> {
  fake = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { status = 200, body } = answer(JSON.parse(Buffer.concat(chunks).toString()) as Request);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => fake?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(fake.address() as AddressInfo).port}/graphql`;
}

/** A well-formed answer applying everything, which each case then spoils. */
function goodAnswer({ variables: { input } }: Request) {
  return {
    batchId: input.batchId,
    replayed: false,
    results: input.operations.map((op) => ({
      eventId: op.eventId,
      status: "APPLIED",
      error: null,
    })),
    keyMappings: input.operations.map((op, i) => ({
      table: op.table,
      clientKey: op.key,
      serverKey: String(100 + i),
    })),
  };
}
const json = (syncBatch: unknown) => ({ body: JSON.stringify({ data: { syncBatch } }) });

describe("bad input at the client", () => {
  it.each<[string, Answer, string, RegExp]>([
    [
      "a missing verdict",
      (r) => json({ ...goodAnswer(r), results: goodAnswer(r).results.slice(1) }),
      "ANSWER_MISMATCH",
      /2 verdicts for 3 operations/,
    ],
    [
      "unknown event ids",
      (r) =>
        json({
          ...goodAnswer(r),
          results: goodAnswer(r).results.map((x) => ({ ...x, eventId: "999" })),
        }),
      "ANSWER_MISMATCH",
      /is for event 999/,
    ],
    [
      "another batch id",
      (r) => json({ ...goodAnswer(r), batchId: "someone-else" }),
      "ANSWER_MISMATCH",
      /for batch someone-else/,
    ],
    [
      "a mapping for a key it never sent",
      (r) =>
        json({
          ...goodAnswer(r),
          keyMappings: [{ table: "customer", clientKey: "-99", serverKey: "5" }],
        }),
      "ANSWER_MISMATCH",
      /customer -99/,
    ],
    [
      "a mapping to a negative server key",
      (r) =>
        json({
          ...goodAnswer(r),
          keyMappings: [{ ...goodAnswer(r).keyMappings[0], serverKey: "-5" }],
        }),
      "ANSWER_MISMATCH",
      /mapping/,
    ],
    [
      "a rejection without an error",
      (r) =>
        json({
          ...goodAnswer(r),
          results: goodAnswer(r).results.map((x) => ({ ...x, status: "REJECTED" })),
        }),
      "ANSWER_MISMATCH",
      /without an error/,
    ],
    [
      "a status it does not know",
      (r) =>
        json({
          ...goodAnswer(r),
          results: goodAnswer(r).results.map((x) => ({ ...x, status: "MAYBE" })),
        }),
      "ANSWER_MISMATCH",
      /MAYBE/,
    ],
    [
      "a missing mapping of an applied insert",
      (r) => json({ ...goodAnswer(r), keyMappings: goodAnswer(r).keyMappings.slice(1) }),
      "ANSWER_MISMATCH",
      /no mapping for the applied insert of customer -1/,
    ],
    [
      "a second mapping for one insert",
      (r) =>
        json({
          ...goodAnswer(r),
          keyMappings: [...goodAnswer(r).keyMappings, goodAnswer(r).keyMappings[1]],
        }),
      "ANSWER_MISMATCH",
      /mapping invoice -1 → 101 matches no insert/,
    ],
    [
      "no data",
      () => ({ body: JSON.stringify({ data: null }) }),
      "ANSWER_MISMATCH",
      /no syncBatch result/,
    ],
    [
      "garbage",
      () => ({ body: "<html>It works!</html>" }),
      "ANSWER_MISMATCH",
      /not a GraphQL result/,
    ],
    ["HTTP 500", () => ({ status: 500, body: "oops" }), "SERVER", /HTTP 500/],
    [
      "a request error (HTTP 400)",
      () => ({
        status: 400,
        body: JSON.stringify({
          errors: [
            { message: 'Variable "$input" got invalid value "X" at "input.operations[0].kind"' },
          ],
        }),
      }),
      "REQUEST_REFUSED",
      /HTTP 400: Variable "\$input" got invalid value "X" at "input.operations\[0\].kind"/,
    ],
    [
      "an unexpected GraphQL error",
      () => ({ body: JSON.stringify({ errors: [{ message: "Unexpected error." }], data: null }) }),
      "SERVER",
      /Unexpected error/,
    ],
    [
      "a refusal with a code",
      () => ({
        body: JSON.stringify({
          errors: [{ message: "no", extensions: { code: "FORBIDDEN" } }],
          data: null,
        }),
      }),
      "REQUEST_REFUSED",
      /FORBIDDEN/,
    ],
  ])(
    "refuses %s clearly and leaves the outbox and rows untouched",
    async (_label, answer, code, message) => {
      const endpoint = await fakeServer(answer);
      device = await openTestDevice(endpoint, {
        retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
      });
      const customerId = await device.client.insert(t.customer, { name: "Ada" });
      await device.client.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 1 });
      await device.client.insert(t.invoice, { customerId, issuedAt: "2026-11-27", total: 2 });
      const outbox =
        "SELECT seq, kind, table_name, row_key, operation, status FROM sync_outbox ORDER BY seq";
      const before = [
        await device.rows(outbox),
        await device.rows("SELECT * FROM invoice ORDER BY id"),
      ];
      const failure = (await device.client.send().catch((error: unknown) => error)) as {
        code: string;
        message: string;
      };
      expect(failure.code).toBe(code);
      expect(failure.message).toMatch(message);
      expect([
        await device.rows(outbox),
        await device.rows("SELECT * FROM invoice ORDER BY id"),
      ]).toEqual(before);
    },
  );

  it("accepts the mappings of an answer in any order", async () => {
    const endpoint = await fakeServer((r) => {
      const answer = goodAnswer(r);
      return json({ ...answer, keyMappings: answer.keyMappings.toReversed() });
    });
    device = await openTestDevice(endpoint);
    const customerId = await device.client.insert(t.customer, { name: "Ada" });
    await device.client.insert(t.invoice, { customerId, issuedAt: "2026-11-26", total: 1 });
    const report = await device.client.send();
    expect(report.mappingsApplied).toBe(2);
    expect(await device.rows("SELECT id, customer_id FROM invoice")).toEqual([
      expect.objectContaining({ id: 101, customer_id: 100 }),
    ]);
  });
});
