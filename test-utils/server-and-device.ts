import { afterEach, beforeEach } from "vitest";
import { type HttpTestServer, startHttpServer } from "./http-server.ts";
import { openTestDevice, type TestDevice } from "./test-device.ts";

/** A fresh server on 127.0.0.1 and a fresh device sending to it, for each test of the file. */
export function useServerAndDevice(): {
  readonly server: HttpTestServer;
  readonly device: TestDevice;
} {
  let server: HttpTestServer | undefined;
  let device: TestDevice | undefined;
  beforeEach(async () => {
    server = await startHttpServer();
    device = await openTestDevice(server.endpoint);
  });
  afterEach(async () => {
    await device?.close();
    await server?.close();
    device = server = undefined;
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useServerAndDevice: used outside a test");
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get device() {
      return started(device);
    },
  };
}

/** Rows of a database file through a short-lived connection (for files other processes write). */
export function fileRows(url: string) {
  return async (sql: string): Promise<Array<Record<string, unknown>>> => {
    const { createClient } = await import("@libsql/client");
    const client = createClient({ url });
    try {
      return (await client.execute(sql)).rows as unknown as Array<Record<string, unknown>>;
    } finally {
      client.close();
    }
  };
}
