import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A `syncBatch` request as the fake server reads it. */
export interface FakeBatchRequest {
  readonly variables: {
    readonly input: {
      readonly batchId: string;
      readonly operations: ReadonlyArray<{ eventId: string; table: string; key: string }>;
    };
  };
}

/**
 * What the fake server answers to a `syncBatch` request: a status and a body, or a function that
 * writes the response itself (a body streamed with backpressure, say).
 */
export type FakeAnswer = (
  request: FakeBatchRequest,
) => { status?: number; body: string } | ((res: ServerResponse) => Promise<void>);

/** A stand-in for the sync server, answering as a test tells it. */
export interface FakeServer {
  readonly endpoint: string;
  /** `syncBatch` requests received so far. */
  readonly batches: number;
  close(): Promise<void>;
}

/**
 * A well-formed answer to `request` that applies every operation and maps each key it names to
 * a server key from 100 up (every test request inserts into autonumbered tables only).
 */
export function answerApplyingAll({ variables: { input } }: FakeBatchRequest) {
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

/** What the fake server says its limits are, unless told otherwise: the real server's defaults. */
export const defaultFakeLimits = {
  maxOperationsPerRequest: 10_000,
  maxBodyBytes: 16 * 1024 * 1024,
};

/**
 * Starts a server on 127.0.0.1 that answers the `syncLimits` query with `limits` and every other
 * request (a `syncBatch`) with what `answer` makes of it.
 */
export async function startFakeServer(
  answer: FakeAnswer,
  limits = defaultFakeLimits,
): Promise<FakeServer> {
  let batches = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString()) as { query?: string };
    if (request.query?.includes("syncLimits")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { syncLimits: limits } }));
      return;
    }
    batches += 1;
    const made = answer(request as FakeBatchRequest);
    if (typeof made === "function") return made(res);
    res.writeHead(made.status ?? 200, { "content-type": "application/json" });
    res.end(made.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    get batches() {
      return batches;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
