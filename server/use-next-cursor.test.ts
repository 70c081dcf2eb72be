import { afterEach, describe, expect, it } from "vitest";
import { insert } from "../test-utils/operations.ts";
import { sendBatch, syncChangesDocument } from "../test-utils/receive.ts";
import { startTestServer, type TestServer } from "../test-utils/test-server.ts";
import { nextCursorHeader } from "./use-next-cursor.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Posts `query` through `yoga.fetch`: the header, the status and the parsed body. */
async function post(s: TestServer, query: string, variables: Record<string, unknown>) {
  const response = await s.sync.yoga.fetch("http://127.0.0.1/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", origin: "https://app.example" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: Record<string, { cursor: string; hasMore: boolean }> | null;
    errors?: Array<{ extensions?: { code?: string } }>;
  };
  return {
    header: response.headers.get(nextCursorHeader),
    status: response.status,
    body,
    response,
  };
}

/** A server holding three customers. */
async function threeCustomers(): Promise<TestServer> {
  server = await startTestServer({ corsOrigins: ["https://app.example"] });
  await sendBatch(server, "writer", "b1", [
    insert("customer", -1, { name: "Ada" }),
    insert("customer", -2, { name: "Bob" }),
    insert("customer", -3, { name: "Cy" }),
  ]);
  return server;
}

const page = (cursor: string | null, limit: number) => ({
  input: { clientId: "reader", cursor, limit },
});

describe("useNextCursor", () => {
  it("carries the answer's own cursor on every page that says hasMore, none on the last", async () => {
    const s = await threeCustomers();
    const first = await post(s, syncChangesDocument, page(null, 2));
    const firstPage = first.body.data?.syncChanges;
    expect(firstPage?.hasMore).toBe(true);
    expect(first.header).toBe(firstPage?.cursor);
    // Browsers may read it: the CORS answer exposes it.
    expect(first.response.headers.get("access-control-expose-headers")).toContain(nextCursorHeader);
    const last = await post(s, syncChangesDocument, page(first.header, 2));
    expect(last.body.data?.syncChanges?.hasMore).toBe(false);
    expect(last.header).toBeNull();
  });

  it("is absent on a refused page and on answers to other operations", async () => {
    const s = await threeCustomers();
    const forged = await post(s, syncChangesDocument, page("not-a-cursor", 1));
    expect(forged.body.errors?.[0]?.extensions?.code).toBe("INVALID_CURSOR");
    expect(forged.header).toBeNull();
    const limits = await post(s, "{ syncLimits { maxChangesPerPage } }", {});
    expect(limits.status).toBe(200);
    expect(limits.header).toBeNull();
  });

  it("is absent when a request asks for two pages (aliased fields, refused whole)", async () => {
    const s = await threeCustomers();
    const query = /* GraphQL */ `
      query Two($a: SyncChangesInput!, $b: SyncChangesInput!) {
        a: syncChanges(input: $a) { cursor hasMore }
        b: syncChanges(input: $b) { cursor hasMore }
      }
    `;
    const twice = await post(s, query, {
      a: page(null, 1).input,
      b: { clientId: "other", cursor: null, limit: 1 },
    });
    expect(twice.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(twice.header).toBeNull();
  });
});
