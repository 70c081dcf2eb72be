import { afterEach } from "vitest";
import { exampleTables as t } from "../schema/index.ts";
import { type HttpTestServer, startHttpServer } from "./http-server.ts";
import { openTestDevice, type TestDevice } from "./test-device.ts";

type DeviceOptions = Parameters<typeof openTestDevice>[1];
type ServerOptions = Parameters<typeof startHttpServer>[0];

/**
 * Servers and devices for the tests of `send()`, closed after each test: call once per test file,
 * at its top level.
 */
export function sendFixtures() {
  const servers: HttpTestServer[] = [];
  const devices: TestDevice[] = [];
  afterEach(async () => {
    for (const device of devices.splice(0)) await device.close();
    for (const server of servers.splice(0)) await server.close();
  });
  const server = async (options?: ServerOptions) => {
    const started = await startHttpServer(options);
    servers.push(started);
    return started;
  };
  const device = async (endpoint: string, options: DeviceOptions = {}) => {
    const opened = await openTestDevice(endpoint, options);
    devices.push(opened);
    return opened;
  };
  return {
    server,
    device,
    /** A server with default options and a device on it. */
    async setup(options: DeviceOptions = {}) {
      const started = await server();
      return { server: started, device: await device(started.endpoint, options) };
    },
  };
}

/** Records `count` location fixes on the device, with a checkpoint after every `every`. */
export async function locations(device: TestDevice, count: number, every: number, from = 0) {
  await device.client.transaction(async (w) => {
    for (let i = from; i < from + count; i++) {
      await w.insert(t.location, {
        deviceId: "phone",
        latitude: 40 + i / 1e4,
        longitude: -3,
        recordedAt: `t${i}`,
      });
      if ((i + 1) % every === 0) await w.setSendCheckpoint();
    }
  });
}

/** The number of rows of `table` (a table name, optionally followed by a WHERE clause). */
export const count = async (rows: TestDevice["rows"] | HttpTestServer["rows"], table: string) =>
  Number((await rows(`SELECT count(*) AS n FROM ${table}`))[0]?.n);
