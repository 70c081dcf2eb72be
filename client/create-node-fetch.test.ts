import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeFetch, type NodeFetch, ResponseTooLargeError } from "./create-node-fetch.ts";

let server: Server | undefined;
let own: NodeFetch | undefined;
afterEach(async () => {
  own?.close();
  own = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });

describe("createNodeFetch", () => {
  it("posts text and bytes with their headers and returns status, headers and body", async () => {
    const seen: Array<{
      method: string | undefined;
      type: string | undefined;
      length: string | undefined;
      body: string;
    }> = [];
    const url = await listen(async (req, res) => {
      const body = await readBody(req);
      seen.push({
        method: req.method,
        type: req.headers["content-type"],
        length: req.headers["content-length"],
        body: body.toString(),
      });
      res.statusCode = 207;
      res.setHeader("content-type", "application/json");
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.end(JSON.stringify({ echo: body.toString() }));
    });
    own = createNodeFetch();
    const headers = { "content-type": "application/json" };
    const text = await own(url, { method: "POST", headers, body: '{"x":"é"}' });
    expect(text.status).toBe(207);
    expect(text.headers.get("content-type")).toBe("application/json");
    expect(text.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await text.json()).toEqual({ echo: '{"x":"é"}' });
    const bytes = await own(url, {
      method: "POST",
      headers: new Headers(headers),
      body: new TextEncoder().encode("[1,2]"),
    });
    expect(await bytes.json()).toEqual({ echo: "[1,2]" });
    expect(seen).toEqual([
      { method: "POST", type: "application/json", length: "10", body: '{"x":"é"}' },
      { method: "POST", type: "application/json", length: "5", body: "[1,2]" },
    ]);
  });

  it("keeps one connection alive across requests", async () => {
    const sockets = new Set<unknown>();
    const url = await listen((req, res) => {
      sockets.add(req.socket);
      res.end("ok");
    });
    own = createNodeFetch();
    for (let i = 0; i < 5; i++)
      expect(await (await own(url, { method: "POST", body: "x" })).text()).toBe("ok");
    expect(sockets.size).toBe(1);
  });

  it("rejects a refused connection with a TypeError whose cause is the socket error", async () => {
    const url = await listen((_req, res) => res.end());
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    own = createNodeFetch();
    const failure = await own(url, { method: "POST", body: "x" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe("fetch failed");
    expect(((failure as TypeError).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  it("rejects with the signal's reason when aborted, before or during the request", async () => {
    const url = await listen(() => undefined); // never answers
    own = createNodeFetch();
    const reason = new Error("stop");
    await expect(own(url, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const controller = new AbortController();
    const pending = own(url, { method: "POST", body: "x", signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
  });

  it("rejects a status the Response cannot hold, and ignores a reason phrase it cannot", async () => {
    // A broken proxy: raw status lines Node's own server would refuse to write.
    const raw = createNetServer((socket) =>
      socket.once("data", (chunk: Buffer) => {
        const line = chunk.toString().includes("/600")
          ? "HTTP/1.1 600 Broken"
          : "HTTP/1.1 502 Bad\x01Gateway";
        socket.end(`${line}\r\ncontent-length: 1\r\nconnection: close\r\n\r\nx`);
      }),
    );
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    own = createNodeFetch();
    try {
      const failure = await own(`${base}/600`, { method: "POST", body: "x" }).catch(
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(TypeError);
      expect(String((failure as TypeError).cause)).toMatch(/status/);
      const response = await own(`${base}/502`, { method: "POST", body: "x" });
      expect(response.status).toBe(502);
      expect(await response.text()).toBe("x");
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it("stops reading an answer longer than maxResponseBytes, declared or streamed, and closes it", async () => {
    let closed = 0;
    const url = await listen((req, res) => {
      res.once("close", () => {
        if (!res.writableFinished) closed += 1;
      });
      const length = Number(new URL(req.url ?? "", "http://x").searchParams.get("length"));
      if (length) {
        res.setHeader("content-length", String(length));
        res.end("x".repeat(length));
        return;
      }
      // Endless, without a declared length.
      const timer = setInterval(() => res.write("x".repeat(512)), 1);
      res.once("close", () => clearInterval(timer));
    });
    own = createNodeFetch({ maxResponseBytes: 1024 });
    expect(
      await (await own(`${url}?length=1024`, { method: "POST", body: "x" })).text(),
    ).toHaveLength(1024);
    for (const query of ["?length=1025", ""]) {
      const failure = (await own(`${url}${query}`, { method: "POST", body: "x" }).catch(
        (e: unknown) => e,
      )) as TypeError;
      expect(failure).toBeInstanceOf(TypeError);
      expect(failure.cause).toBeInstanceOf(ResponseTooLargeError);
      expect((failure.cause as Error).message).toBe(
        "the answer's body is longer than the limit of 1024 bytes",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(1); // the endless answer's connection (the other one was written whole)
  });

  it("refuses bodies it cannot send and protocols it does not speak", async () => {
    own = createNodeFetch();
    await expect(own("ftp://127.0.0.1/x")).rejects.toThrow(/unsupported protocol ftp:/);
    await expect(own(new Request("http://127.0.0.1:9/x"))).rejects.toThrow(/not a Request/);
    await expect(
      own("http://127.0.0.1:9/x", { method: "POST", body: new Blob(["x"]) }),
    ).rejects.toThrow(/text or byte bodies only/);
  });
});
