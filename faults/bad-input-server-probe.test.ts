import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer } from "../test-utils/http-server.ts";
import { insert, update } from "../test-utils/operations.ts";
import { startTestServer, syncBatchDocument, type TestServer } from "../test-utils/test-server.ts";

// The payloads of a hostile probe of the server, each refused clearly and with nothing written.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ corsOrigins: ["https://app.example"] });
});
afterAll(async () => {
  await server.close();
});

const count = async (sql: string) => Number((await server.rows(sql))[0]?.n);
const written = async () =>
  (await count("SELECT count(*) AS n FROM customer")) +
  (await count("SELECT count(*) AS n FROM sync_batch"));
const body = (input: unknown) => JSON.stringify({ query: syncBatchDocument, variables: { input } });
const one = (data: unknown) => ({
  clientId: "probe",
  batchId: "b",
  batchSeq: 1,
  operations: [{ eventId: "1", table: "customer", kind: "INSERT", key: "-1", data }],
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    server.sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });

  it("gives a foreign origin no CORS header, on the preflight and on the POST", async () => {
    const answer = await preflight("https://evil.example");
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
    const post = await server.sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ query: "{ syncLimits { maxBodyBytes } }" }),
    });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
    expect(post.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("lets a listed origin in, without credentials", async () => {
    const answer = await preflight("https://app.example");
    expect(answer.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
    expect(answer.headers.get("access-control-expose-headers")).toBe(
      "x-sync-committed, x-sync-next-cursor",
    );
  });

  it("allows no origin by default, and refuses an entry that is not an origin", async () => {
    const closed = await startTestServer();
    const answer = await closed.sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "OPTIONS",
      headers: { origin: "http://127.0.0.1:5173", "access-control-request-method": "POST" },
    });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    await closed.close();
    await expect(startTestServer({ corsOrigins: ["https://app.example/path"] })).rejects.toThrow(
      /corsOrigins\[0\] must be an origin/,
    );
  });
});

describe("bodies that cost more than they carry", () => {
  it("refuses 16 MB of empty objects in a data value before parsing it (400)", async () => {
    const before = await written();
    const text = body(one({ name: "__ARRAY__" })).replace(
      '"__ARRAY__"',
      `[${"{},".repeat(5_300_000)}{}]`,
    );
    const answer = await server.post(text);
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.message).toMatch(/more than \d+ objects and arrays/);
    expect(await written()).toBe(before);
  });

  it.each([
    [
      "an array",
      [1, 2],
      /input.operations\[0\].data must be an object of column values or null, got an array/,
    ],
    ["a text", "name=1", /data must be an object of column values or null, got "name=1"/],
    [
      "a nested value",
      { name: { nested: true } },
      /data.name must be a text, number, boolean or null, got an object/,
    ],
    ["more members than columns", { a: 1, b: 2, c: 3, d: 4 }, /data has more than 3 members/],
    ["data nested 4,000 levels (in variables)", { name: nested(4000) }, /data.name must be a text/],
  ])("refuses data that is %s, whole, naming where", async (_label, data, message) => {
    const before = await written();
    const answer = await server.post(body(one(data)));
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.errors?.[0]?.message).toMatch(message);
    expect(answer.text).not.toMatch(/RangeError|stack/);
    expect(await written()).toBe(before);
  });

  it("reads at most two large bodies at once; small ones never wait", async () => {
    const large = 2 * 1024 * 1024;
    const held: Array<ReadableStreamDefaultController<Uint8Array>> = [];
    const send = async (stream: ReadableStream<Uint8Array> | string, length: number) =>
      await server.sync.yoga.fetch("http://127.0.0.1/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(length) },
        body: stream,
        duplex: "half",
      } as RequestInit);
    const slow = () =>
      send(new ReadableStream<Uint8Array>({ start: (c) => void held.push(c) }), large);
    const first = slow();
    const second = slow();
    let thirdDone = false;
    const third = send(" ".repeat(large - 2).concat("{}"), large).then((r) => {
      thirdDone = true;
      return r;
    });
    const small = await server.post(JSON.stringify({ query: "{ syncLimits { maxBodyBytes } }" }));
    expect(small.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(thirdDone).toBe(false);
    held[0]?.enqueue(new TextEncoder().encode("{}"));
    held[0]?.close();
    await first;
    await third;
    expect(thirdDone).toBe(true);
    held[1]?.close();
    await second;
  });

  it("refuses a literal nested 2,000 levels in a document with a 400, not a stack overflow", async () => {
    const literal = `${"{a:".repeat(2000)}1${"}".repeat(2000)}`;
    const answer = await server.post(
      JSON.stringify({
        query: `mutation { syncBatch(input: { clientId: "c", batchId: "b", batchSeq: 1, operations: [{ eventId: "1", table: "customer", kind: INSERT, key: "-1", data: ${literal} }] }) { batchId } }`,
      }),
    );
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.message).toMatch(/nests brackets deeper than 64 levels/);
  });

  it("names the body limit's code when the declared length is over it, and takes JSON only", async () => {
    const declared = await server.sync.yoga.fetch("http://127.0.0.1/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "999999999" },
      body: "{}",
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({
      errors: [{ extensions: { code: "BODY_TOO_LARGE" } }],
    });
    for (const type of ["application/jsonx", "application/json-patch+json", "text/plain"]) {
      const answer = await server.post(
        JSON.stringify({ query: "{ syncLimits { maxBodyBytes } }" }),
        {
          "content-type": type,
        },
      );
      expect(answer.status).toBe(415);
    }
    const charset = await server.post(
      JSON.stringify({ query: "{ syncLimits { maxBodyBytes } }" }),
      {
        "content-type": "Application/JSON; charset=utf-8",
      },
    );
    expect(charset.status).toBe(200);
  });
});

describe("ids", () => {
  it.each([
    ["clientId", { clientId: "dev\uD800", batchId: "b" }],
    ["clientId", { clientId: "dev\uDC00", batchId: "b" }],
    ["batchId", { clientId: "dev", batchId: "b\uD800" }],
  ])("refuses a %s with a lone surrogate, so two ids cannot become one", async (field, ids) => {
    const before = await written();
    const answer = await server.post(
      body({ ...ids, batchSeq: 1, operations: [insert("customer", -1, { name: "x" })] }),
    );
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.errors?.[0]?.message).toBe(
      `input.${field} must be well-formed Unicode (it has a lone surrogate)`,
    );
    expect(await written()).toBe(before);
  });

  it("refuses an eventId with a lone surrogate", async () => {
    const answer = await server.post(
      body({
        clientId: "dev",
        batchId: "b",
        batchSeq: 1,
        operations: [{ ...update("customer", 1, { name: "x" }), eventId: "e\uDFFF" }],
      }),
    );
    expect(answer.errors?.[0]?.message).toBe(
      "input.operations[0].eventId must be well-formed Unicode (it has a lone surrogate)",
    );
  });
});

describe("bodies over the limit, over HTTP", () => {
  it.each([
    ["declared", true],
    ["chunked", false],
  ])("answer 413 BODY_TOO_LARGE to a %s body, not a reset connection", async (_label, declared) => {
    const http = await startHttpServer({ limits: { maxBodyBytes: 64 * 1024 } });
    const text = body(one({ name: "x".repeat(100 * 1024) }));
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192));
        controller.close();
      },
    });
    const answer = await fetch(http.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: declared ? text : stream,
      duplex: "half",
    } as RequestInit);
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({
      errors: [{ extensions: { code: "BODY_TOO_LARGE" } }],
    });
    await http.close();
  });
});

describe("slow clients", () => {
  it("closes a connection whose body does not arrive within the request timeout", async () => {
    const http = await startHttpServer({}, { requestTimeoutMs: 500, headersTimeoutMs: 500 });
    const { port } = new URL(http.endpoint);
    const socket = connect(Number(port), "127.0.0.1");
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
      socket.write(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
      );
    });
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await http.close();
  });
});

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}
