import { Socket } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { syncedRows } from "../test-utils/compare-databases.ts";
import type { HttpTestServer } from "../test-utils/http-server.ts";
import { sendFixtures } from "../test-utils/send-fixtures.ts";
import { nextCursorHeader } from "./next-cursor.ts";

const fixtures = sendFixtures();

/** A server holding ten customers. */
async function tenCustomers(): Promise<HttpTestServer> {
  const server = await fixtures.server();
  const writer = await fixtures.device(server.endpoint);
  await writer.client.transaction(async (w) => {
    for (let i = 0; i < 10; i++) await w.insert(t.customer, { name: `c${i}` });
  });
  await writer.client.send();
  return server;
}

/**
 * A fetch that records the cursor of every syncChanges request, and rewrites the next-cursor
 * header of each answer with `header` (given the header the server sent).
 */
function recordingFetch(header: (sent: string | null) => string | null) {
  const cursors: Array<string | null> = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const body = typeof init?.body === "string" ? init.body : "";
    const parsed = JSON.parse(body || "{}") as { variables?: { input?: { cursor?: unknown } } };
    const isPage = body.includes("syncChanges");
    if (isPage) cursors.push((parsed.variables?.input?.cursor as string | null) ?? null);
    const response = await globalThis.fetch(input, init);
    if (!isPage) return response;
    const headers = new Headers(response.headers);
    const value = header(response.headers.get(nextCursorHeader));
    if (value === null) headers.delete(nextCursorHeader);
    else headers.set(nextCursorHeader, value);
    return new Response(await response.arrayBuffer(), { status: response.status, headers });
  };
  return { fetch, cursors };
}

describe("receive() reads the next page from the answer's next-cursor header", () => {
  it("asks for each page once, from the cursor of the page before, and ends equal to the server", async () => {
    const server = await tenCustomers();
    const { fetch, cursors } = recordingFetch((sent) => sent);
    const device = await fixtures.device(server.endpoint, { fetch });
    const report = await device.client.receive({ limit: 3 });
    expect(report).toMatchObject({ pages: 4, changes: 10, applied: 10 });
    // One request a page: every early read was the page asked for next.
    expect(cursors).toHaveLength(4);
    expect(cursors[0]).toBeNull();
    expect(new Set(cursors).size).toBe(4);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
  });

  it("drops an early read whose header named another cursor (a garbled or a forged one), and asks again", async () => {
    const server = await tenCustomers();
    // Each header names a cursor of another page: the first page's own cursor, say, or garbage.
    let first: string | null = null;
    const { fetch, cursors } = recordingFetch((sent) => {
      first ??= sent;
      return cursors.length % 2 === 0 ? first : "forged.cursor";
    });
    const device = await fixtures.device(server.endpoint, { fetch });
    const report = await device.client.receive({ limit: 3 });
    expect(report).toMatchObject({ pages: 4, changes: 10, applied: 10, retries: 0 });
    // The pages themselves were read from their own cursors, besides the early reads dropped.
    expect(cursors.length).toBeGreaterThan(4);
    expect(await syncedRows(device.rows)).toEqual(await syncedRows((sql) => server.rows(sql)));
    expect(await device.rows("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  });

  it("ignores a header that cannot be a cursor, and reads on as without one", async () => {
    const server = await tenCustomers();
    const values = ["", "a,b", "x".repeat(5000), "ü-not-ascii", "two words"];
    let next = 0;
    const { fetch, cursors } = recordingFetch(() => values[next++ % values.length] ?? null);
    const device = await fixtures.device(server.endpoint, { fetch });
    const report = await device.client.receive({ limit: 3 });
    expect(report).toMatchObject({ pages: 4, changes: 10, applied: 10 });
    expect(cursors).toHaveLength(4);
  });

  it("reads as before from a server that sends no header", async () => {
    const server = await tenCustomers();
    const { fetch, cursors } = recordingFetch(() => null);
    const device = await fixtures.device(server.endpoint, { fetch });
    expect(await device.client.receive({ limit: 3 })).toMatchObject({ pages: 4, changes: 10 });
    expect(cursors).toHaveLength(4);
  });
});

describe("receive() lets the next page's request go out before it stages a page", () => {
  it("gives the event loop a turn once the early read is asked for: its request is not held behind the staging", async () => {
    const server = await tenCustomers();
    // The client's own fetch: Node hands a request its socket in a later tick, which waits while
    // promise jobs run (the check and the staging of a page are such jobs, synchronous SQLite
    // work in between). Seen at the sockets: the requests for pages written to them so far.
    let written = 0;
    const write = Socket.prototype.write;
    const spy = vi.spyOn(Socket.prototype, "write").mockImplementation(function (
      this: Socket,
      ...args: Parameters<Socket["write"]>
    ) {
      const text = String(args[0]);
      if (text.includes("syncChanges") && !text.includes('"data"')) written += 1;
      return write.apply(this, args);
    });
    try {
      const device = await fixtures.device(server.endpoint);
      const atStaging: number[] = [];
      const report = await device.client.receive({
        limit: 3,
        onProgress: () => atStaging.push(written),
      });
      expect(report).toMatchObject({ pages: 4, changes: 10, applied: 10 });
      // While page n was staged, the request for page n + 1 was already on its socket.
      expect(atStaging).toEqual([2, 3, 4, 4]);
    } finally {
      spy.mockRestore();
    }
  });
});
