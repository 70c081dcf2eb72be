import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does with one syncBatch request. */
export type ProxyAction =
  /** Passes it on and returns the answer. */
  | "forward"
  /** Passes it on, waits until the server answered (committed), then cuts the connection. */
  | "drop-answer"
  /**
   * Passes it on, then sends the answer's status, headers and first 40 bytes (the commit shows)
   * and cuts the connection in the middle of the body.
   */
  | "cut-answer"
  /** Delivers it twice, one after the other, and returns the second answer. */
  | "duplicate"
  /** Delivers it twice at the same time and returns the later answer. */
  | "duplicate-concurrent";

/** A proxy on 127.0.0.1 in front of a sync server, injecting faults into syncBatch requests. */
export interface FaultProxy {
  readonly endpoint: string;
  /** syncBatch requests seen, and faults injected by kind. */
  readonly counts: Record<ProxyAction, number> & { requests: number };
  /** Answers received from the server for duplicated requests: `replayed` flags seen. */
  readonly replays: boolean[];
  /** Points the proxy at another server (one restarted on another port). */
  setTarget(target: string): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts a proxy to `target` (a GraphQL endpoint URL); `plan` picks the action per request (1-based). */
export async function startFaultProxy(
  initialTarget: string,
  plan: (request: number) => ProxyAction,
): Promise<FaultProxy> {
  let target = initialTarget;
  const counts = {
    requests: 0,
    forward: 0,
    "drop-answer": 0,
    "cut-answer": 0,
    duplicate: 0,
    "duplicate-concurrent": 0,
  };
  const replays: boolean[] = [];
  const deliver = (body: string, headers: Record<string, string>) =>
    fetch(target, { method: "POST", headers, body }).then(async (response) => ({
      status: response.status,
      type: response.headers.get("content-type") ?? "application/json",
      text: await response.text(),
    }));
  const server: Server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      const headers = {
        "content-type": String(request.headers["content-type"] ?? "application/json"),
      };
      const isBatch = body.includes("syncBatch");
      const action: ProxyAction = isBatch ? plan(++counts.requests) : "forward";
      if (isBatch) counts[action] += 1;
      let answer: Awaited<ReturnType<typeof deliver>>;
      if (action === "duplicate") {
        await deliver(body, headers);
        answer = await deliver(body, headers);
      } else if (action === "duplicate-concurrent") {
        const both = await Promise.all([deliver(body, headers), deliver(body, headers)]);
        answer = both[1];
        for (const copy of both) replays.push(copy.text.includes('"replayed":true'));
      } else {
        answer = await deliver(body, headers);
      }
      if (action === "duplicate") replays.push(answer.text.includes('"replayed":true'));
      if (action === "drop-answer") {
        request.socket.destroy();
        return;
      }
      if (action === "cut-answer") {
        response.writeHead(answer.status, {
          "content-type": answer.type,
          "content-length": String(Buffer.byteLength(answer.text)),
        });
        response.write(answer.text.slice(0, 40));
        setTimeout(() => request.socket.destroy(), 20);
        return;
      }
      response.writeHead(answer.status, { "content-type": answer.type });
      response.end(answer.text);
    } catch {
      request.socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/graphql`,
    counts,
    replays,
    setTarget(next) {
      target = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
