import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { copyTemplate, type DeviceTemplate } from "./fixtures.ts";
import { startServerProcess } from "./server-process.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Peak RSS (MB) of a client process that opens a copy of the template and sends it. */
export async function memoryRun(
  dir: string,
  template: DeviceTemplate,
  run: number,
): Promise<number> {
  const tag = `${Date.now()}-${run}`;
  const server = await startServerProcess(`file:${join(dir, `mem-server-${tag}.db`)}`);
  try {
    const database = await copyTemplate(template, join(dir, `mem-device-${tag}.db`));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "bench/memory-child.ts", database, server.endpoint],
      { cwd: root, maxBuffer: 1 << 20 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
      peakKb: number;
      applied: number;
    };
    if (result.applied !== template.operations) {
      throw new Error(`memory run applied ${result.applied} of ${template.operations}`);
    }
    return result.peakKb / 1024;
  } finally {
    await server.stop();
  }
}
