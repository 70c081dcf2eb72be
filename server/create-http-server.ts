import { createServer, type RequestListener, type Server } from "node:http";

/** Timeouts of {@link createHttpServer}, in milliseconds. */
export interface HttpTimeouts {
  /** The whole request, body included, must arrive within this time. Default: 120 s. */
  readonly requestTimeoutMs?: number;
  /** The request's headers must arrive within this time. Default: 15 s. */
  readonly headersTimeoutMs?: number;
}

/**
 * Node's HTTP server for a sync endpoint, with timeouts that suit it: a request (a batch of at
 * most the body limit) has two minutes to arrive, its headers 15 seconds, so a client that sends
 * slowly cannot hold a connection, or a large-body slot, for Node's default of five minutes.
 */
export function createHttpServer(
  listener: RequestListener,
  { requestTimeoutMs = 120_000, headersTimeoutMs = 15_000 }: HttpTimeouts = {},
): Server {
  return createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
      // How often Node looks for requests past their timeout; its default is 30 s.
      connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
    },
    listener,
  );
}
