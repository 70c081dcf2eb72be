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
  it("keeps the hashes stored by earlier versions (canonical JSON through safe-stable-stringify)", () => {
    expect(hashOperations(operations)).toBe("AWckd2TILGvMjvyJzhEWSfCv8qYVQNFmkFVqhDk04nE");
  });

  it("keeps those hashes for keys V8 orders by itself (array indexes) and for a key named __proto__", () => {
    const op = (data: unknown): SyncOperation[] => [
      { eventId: "1", table: "t", kind: "INSERT", key: "-1", data },
    ];
    // Expected values computed with safe-stable-stringify 2.5.0, which the hash used before.
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

  it("ignores key order at every depth and tells a missing data from a changed value", () => {
    const reordered = withKeysReordered(operations);
    expect(hashOperations(reordered)).toBe(hashOperations(operations));
    const changed = operations.map((op, i) => (i === 1 ? { ...op, data: { total: 1e21 } } : op));
    expect(hashOperations(changed)).not.toBe(hashOperations(operations));
    expect(hashOperations(operations.slice(0, 3))).not.toBe(hashOperations(operations));
  });
});
