import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHttpServer, type HttpTimeouts } from "../server/create-http-server.ts";
import { startTestServer, type TestServer, type TestServerOptions } from "./test-server.ts";

/** A {@link TestServer} also listening on an ephemeral port of 127.0.0.1. */
export interface HttpTestServer extends TestServer {
  readonly endpoint: string;
}

/** Starts a sync server on a temporary database file, listening on 127.0.0.1:0. */
export async function startHttpServer(
  options: TestServerOptions = {},
  timeouts: HttpTimeouts = {},
): Promise<HttpTestServer> {
  const server = await startTestServer(options);
  const http: Server = createHttpServer(server.sync.yoga, timeouts);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    ...server,
    endpoint: `http://127.0.0.1:${port}/graphql`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    },
  };
}
