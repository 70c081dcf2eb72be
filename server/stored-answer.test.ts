import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BatchOutcome, KeyMapping, SyncOperation } from "./operation.ts";
import { packAnswer, unpackAnswer } from "./stored-answer.ts";

const operations = (count: number): SyncOperation[] =>
  Array.from({ length: count }, (_, i) => ({
    eventId: String(i + 1),
    table: "location",
    kind: "INSERT",
    key: String(-(i + 1)),
  }));

const m = (table: string, clientKey: string, serverKey: string): KeyMapping => ({
  table,
  clientKey,
  serverKey,
});

const applied = (ops: readonly SyncOperation[]): BatchOutcome["results"] =>
  ops.map((op) => ({
    eventId: op.eventId,
    status: "APPLIED",
    error: null,
    version: 1,
    conflict: null,
  }));

describe("stored answers", () => {
  it("keeps a batch's consecutive mappings as one run per table", () => {
    const ops = operations(1000);
    const keyMappings: KeyMapping[] = ops.map((op, i) => ({
      table: "location",
      clientKey: op.key,
      serverKey: String(5000 + i),
    }));
    const text = packAnswer({ results: applied(ops), keyMappings });
    expect(JSON.parse(text)).toEqual({
      format: 4,
      rejected: [],
      runs: [["location", "-1", "5000", 1000]],
      versions: [[1, 1000]],
    });
    expect(unpackAnswer(text, ops)).toEqual({ results: applied(ops), keyMappings });
  });

  it("extends a run only by the exact next keys of the same table", () => {
    const big = "9007199254740992";
    const cases: KeyMapping[][] = [
      // "-0" is not how 0 prints: a run from "-1" must not swallow it and replay "0".
      [m("a", "1", "5"), m("a", "-0", "6")],
      [m("a", "-1", "5"), m("a", "-2", "006")],
      [m("a", "-1", "5"), m("b", "-2", "6")],
      [m("a", "-1", "5"), m("a", "-2", "5")],
      [m("a", "-1", "5"), m("a", "-3", "6")],
      // Beyond 2^53 numbers stop being exact: such keys stay single.
      [m("a", "-1", big), m("a", "-2", "9007199254740993"), m("a", "-3", "9007199254740994")],
    ];
    const ops = operations(1);
    for (const keyMappings of cases) {
      const text = packAnswer({ results: applied(ops), keyMappings });
      expect(JSON.parse(text).runs).toHaveLength(keyMappings.length);
      expect(unpackAnswer(text, ops).keyMappings).toEqual(keyMappings);
    }
  });

  it("gives back exactly the mappings and verdicts it was given, whatever the key texts", () => {
    const keyText = fc.oneof(
      fc.integer({ min: -50, max: 50 }).map(String),
      fc.constantFrom("-0", "007", "1e3", " 5", "9007199254740993", "-9007199254740993", "abc", ""),
    );
    const mapping = fc.record({
      table: fc.constantFrom("customer", "invoice"),
      clientKey: keyText,
      serverKey: keyText,
    });
    // Runs of consecutive keys, as a batch makes them, mixed with arbitrary mappings.
    const run = fc
      .record({
        table: fc.constantFrom("customer", "invoice"),
        client: fc.integer({ min: -1000, max: -1 }),
        server: fc.integer({ min: 1, max: 1000 }),
        length: fc.integer({ min: 1, max: 5 }),
      })
      .map(({ table, client, server, length }) =>
        Array.from({ length }, (_, i) => ({
          table,
          clientKey: String(client - i),
          serverKey: String(server + i),
        })),
      );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            mapping.map((m) => [m]),
            run,
          ),
          { maxLength: 12 },
        ),
        fc.array(fc.nat({ max: 9 }), { maxLength: 3 }),
        (groups, rejectedAt) => {
          const keyMappings = groups.flat();
          const ops = operations(10);
          const results = applied(ops);
          for (const index of rejectedAt) {
            results[index] = {
              eventId: ops[index]?.eventId ?? "",
              status: "REJECTED",
              error: { code: "NOT_FOUND", message: `row ${index} is gone` },
              version: null,
              conflict: null,
            };
          }
          expect(unpackAnswer(packAnswer({ results, keyMappings }), ops)).toEqual({
            results,
            keyMappings,
          });
        },
      ),
    );
  });
});
