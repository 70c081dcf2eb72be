import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startServerProcess } from "../test-utils/server-process.ts";
import { copyTemplate, type DeviceTemplate } from "./fixtures.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** What a client process that sent a device copy measured of itself. */
export interface ClientProcessRun {
  /** Peak resident memory of the client process, in MB. */
  readonly peakMb: number;
  /** Time of `send()`, in milliseconds. */
  readonly ms: number;
  readonly batches: number;
}

/**
 * Runs a client in its own process on a copy of the template, sending to a fresh server process.
 * `nodeFlags` go to that client process (a V8 setting an app would start with, say).
 */
export async function clientProcessRun(
  dir: string,
  template: DeviceTemplate,
  run: number,
  nodeFlags: readonly string[] = [],
): Promise<ClientProcessRun> {
  const tag = `${Date.now()}-${run}`;
  const server = await startServerProcess(`file:${join(dir, `client-server-${tag}.db`)}`);
  try {
    const database = await copyTemplate(template, join(dir, `client-device-${tag}.db`));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...nodeFlags, "--import", "tsx", "bench/client-child.ts", database, server.endpoint],
      { cwd: root, maxBuffer: 1 << 20 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
      peakKb: number;
      applied: number;
      batches: number;
      ms: number;
    };
    if (result.applied !== template.operations) {
      throw new Error(`the client process applied ${result.applied} of ${template.operations}`);
    }
    return { peakMb: result.peakKb / 1024, ms: result.ms, batches: result.batches };
  } finally {
    await server.stop();
  }
}
