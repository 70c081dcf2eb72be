import { afterEach, describe, expect, it } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { openTestDevice, type TestDevice } from "../test-utils/test-device.ts";
import {
  answerApplyingAll,
  type FakeAnswer,
  type FakeBatchRequest,
  type FakeServer,
  startFakeServer,
} from "./fake-sync-server.ts";

type Answer = (request: FakeBatchRequest) => { status?: number; body: string };

let fake: FakeServer | undefined;
let device: TestDevice | undefined;
afterEach(async () => {
  await device?.close();
  await fake?.close();
  device = fake = undefined;
});

/** A server that answers every syncBatch request with what `answer` makes of it. */
async function fakeServer(answer: FakeAnswer): Promise<string> {
  fake = await startFakeServer(answer);
  return fake.endpoint;
}

/** A well-formed answer applying everything, which each case then spoils. */
const goodAnswer = answerApplyingAll;
const json = (syncBatch: unknown) => ({ body: JSON.stringify({ data: { syncBatch } }) });
/** The good answer with its first mapping (customer -1 → 100) given another server key. */
const firstServerKey = (r: FakeBatchRequest, serverKey: unknown) => {
  const [first, ...rest] = goodAnswer(r).keyMappings;
  return json({ ...goodAnswer(r), keyMappings: [{ ...first, serverKey }, ...rest] });
};
const notASafeKey = /the server key is not the decimal text of a positive safe integer/;

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
    // A key SQLite would hold as a rounded REAL, and JavaScript as 100000000000000000000.
    [
      "a server key beyond 2^53 - 1",
      (r) => firstServerKey(r, "99999999999999999999"),
      "ANSWER_MISMATCH",
      new RegExp(`mapping customer -1 → 99999999999999999999: ${notASafeKey.source}`),
    ],
    [
      "a server key of 2^53",
      (r) => firstServerKey(r, "9007199254740992"),
      "ANSWER_MISMATCH",
      notASafeKey,
    ],
    ["a server key of 0", (r) => firstServerKey(r, "0"), "ANSWER_MISMATCH", notASafeKey],
    ["a fractional server key", (r) => firstServerKey(r, "1.5"), "ANSWER_MISMATCH", notASafeKey],
    [
      "a server key in exponent form",
      (r) => firstServerKey(r, "1e3"),
      "ANSWER_MISMATCH",
      notASafeKey,
    ],
    [
      "a server key with a leading zero",
      (r) => firstServerKey(r, "0100"),
      "ANSWER_MISMATCH",
      notASafeKey,
    ],
    [
      "a server key given as a number",
      (r) => firstServerKey(r, 100),
      "ANSWER_MISMATCH",
      /mapping customer -1 → number 100: the server key is not the decimal text/,
    ],
    [
      "two mappings of one table to one server key",
      (r) => {
        const [customer, invoice, second] = goodAnswer(r).keyMappings;
        return json({
          ...goodAnswer(r),
          keyMappings: [customer, invoice, { ...second, serverKey: "101" }],
        });
      },
      "ANSWER_MISMATCH",
      /mappings invoice -1 → 101 and invoice -2 → 101 give one server key to two rows/,
    ],
    [
      "mappings that are not a list",
      (r) => json({ ...goodAnswer(r), keyMappings: null }),
      "ANSWER_MISMATCH",
      /its results and keyMappings are not both lists/,
    ],
    [
      "a mapping that is not an object",
      (r) => json({ ...goodAnswer(r), keyMappings: [null, ...goodAnswer(r).keyMappings.slice(1)] }),
      "ANSWER_MISMATCH",
      /a key mapping is null, not an object/,
    ],
    [
      "a verdict that is not an object",
      (r) => json({ ...goodAnswer(r), results: [null, ...goodAnswer(r).results.slice(1)] }),
      "ANSWER_MISMATCH",
      /verdict 1 is for event null, expected 1/,
    ],
    [
      "a rejection whose error code is not a text",
      (r) =>
        json({
          ...goodAnswer(r),
          results: goodAnswer(r).results.map((x) => ({
            ...x,
            status: "REJECTED",
            error: { code: 5, message: "no" },
          })),
          keyMappings: [],
        }),
      "ANSWER_MISMATCH",
      /verdict for event 1 has status REJECTED without an error \(a code and a message\)/,
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
