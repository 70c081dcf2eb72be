import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withKeysReordered } from "../test-utils/operations.ts";
import { hashOperations } from "./hash-operations.ts";
import type { SyncOperation } from "./operation.ts";

const operations: SyncOperation[] = [
  {
    eventId: "1",
    table: "customer",
    kind: "INSERT",
    key: "-1",
    data: { name: 'Grüße "q" \\ 🚀 \ud800', email: null },
  },
  {
    eventId: "2",
    table: "invoice",
    kind: "INSERT",
    key: "-1",
    data: {
      total: 1e21,
      customer_id: -1,
      issued_at: "2026",
      nested: { b: [1, { d: 2, c: 0.1 }], a: true },
    },
  },
  { eventId: "3", table: "invoice", kind: "DELETE", key: "5" },
  { eventId: "4", table: "invoice", kind: "DELETE", key: "6", data: null },
];

describe("hashOperations", () => {
  it("pins the hash of a request: SHA-256 of its canonical JSON, keys sorted", () => {
    expect(hashOperations(operations)).toBe("AWckd2TILGvMjvyJzhEWSfCv8qYVQNFmkFVqhDk04nE");
  });

  it("keeps those hashes for keys V8 orders by itself (array indexes) and for a key named __proto__", () => {
    const op = (data: unknown): SyncOperation[] => [
      { eventId: "1", table: "t", kind: "INSERT", key: "-1", data },
    ];
    // Expected values computed independently, with safe-stable-stringify 2.5.0.
    expect(hashOperations(op({ b: 3, "10": 1, "9": 2 }))).toBe(
      "UamY9JGFY2EcP97CUspKDDwuuUGlem-NiZRUqK_7CZ4",
    );
    expect(hashOperations(op({ "-1": 1, "9": 2, a: [{ "2": 1, "1": 0 }] }))).toBe(
      "B-0mCqeg2wa8a30_tcztNdv7ItZi8S2pQuUwTQT_8ew",
    );
    const withProto = JSON.parse('{"name":"x","__proto__":{"a":1}}') as unknown;
    expect(hashOperations(op(withProto))).toBe("-i4LtIlOkczY1CApkEOcm4U7EvuWAfAD9_ceP4PbJ_0");
    expect(hashOperations(op({ name: "x" }))).toBe("M6OwukhuSYqDUJ_gCxXDnQyRv3O7nVGgn3_cj5gZkRE");
  });

  it("takes data whose keys come sorted as it is, with the same hashes", () => {
    const sorted = operations.map((op, i) =>
      i === 0 ? { ...op, data: { email: null, name: 'Grüße "q" \\ 🚀 \ud800' } } : op,
    );
    expect(hashOperations(sorted)).toBe("AWckd2TILGvMjvyJzhEWSfCv8qYVQNFmkFVqhDk04nE");
    const op = (data: unknown): SyncOperation[] => [
      { eventId: "1", table: "t", kind: "INSERT", key: "-1", data },
    ];
    expect(hashOperations(op(JSON.parse('{"__proto__":1,"a":2}')))).toBe(
      hashOperations(op(JSON.parse('{"a":2,"__proto__":1}'))),
    );
  });

  it("hashes any flat or nested data as the canonical JSON of the operations", () => {
    // The reference: keys sorted at every depth, built key by key.
    const canonical = (value: unknown): string => {
      if (value === null || typeof value !== "object") return JSON.stringify(value);
      if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
      const object = value as Record<string, unknown>;
      return `{${Object.keys(object)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`)
        .join(",")}}`;
    };
    const key = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("9", "10", "0", "01", "__proto__", "a", "é", "🚀"),
    );
    const scalar = fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const data = fc.oneof(
      fc.dictionary(key, scalar),
      fc.dictionary(
        key,
        fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(key, scalar)),
      ),
    );
    fc.assert(
      fc.property(fc.array(data, { minLength: 1, maxLength: 5 }), (datas) => {
        // Through JSON, as the server receives it (own keys, __proto__ as a plain key).
        const ops = JSON.parse(
          JSON.stringify(
            datas.map((d, i) => ({
              eventId: String(i),
              table: "t",
              kind: "INSERT",
              key: "-1",
              data: d,
            })),
          ),
        ) as SyncOperation[];
        const text = canonical(ops.map((o) => ({ ...o, data: o.data ?? null })));
        const expected = createHash("sha256").update(text).digest("base64url");
        expect(hashOperations(ops)).toBe(expected);
        expect(hashOperations(withKeysReordered(ops))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("ignores key order at every depth and tells a missing data from a changed value", () => {
    const reordered = withKeysReordered(operations);
    expect(hashOperations(reordered)).toBe(hashOperations(operations));
    const changed = operations.map((op, i) => (i === 1 ? { ...op, data: { total: 1e21 } } : op));
    expect(hashOperations(changed)).not.toBe(hashOperations(operations));
    expect(hashOperations(operations.slice(0, 3))).not.toBe(hashOperations(operations));
  });
});
