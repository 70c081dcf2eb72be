import { join } from "node:path";
import { startServerProcess } from "../test-utils/server-process.ts";
import type { DeviceTemplate } from "./fixtures.ts";
import { prepareDevices } from "./prepare-devices.ts";
import { warmUpServer } from "./warm-up-server.ts";

/** What many devices sending at once measured. */
export interface ManyDevicesRun {
  readonly operationsPerSecond: number;
  readonly latenciesMs: readonly number[];
  readonly errors: number;
}

/** `devices` copies of the template, under their own client ids, all sending at once to one server. */
export async function manyDevicesRun(
  dir: string,
  template: DeviceTemplate,
  devices: number,
  run: number,
  warmUp: readonly DeviceTemplate[] = [],
): Promise<ManyDevicesRun> {
  const tag = `${Date.now()}-${run}`;
  const server = await startServerProcess(`file:${join(dir, `many-server-${tag}.db`)}`);
  try {
    await warmUpServer(dir, server.endpoint, warmUp, tag);
    const prepared = await prepareDevices(dir, template, [server.endpoint], devices, tag);
    try {
      const { applied, seconds, errors, latenciesMs } = await prepared.send();
      // A run where nothing at all arrived is an error even when no send threw.
      return {
        operationsPerSecond: applied / seconds,
        latenciesMs,
        errors: applied + errors === 0 ? 1 : errors,
      };
    } finally {
      await prepared.close();
    }
  } finally {
    await server.stop();
  }
}
