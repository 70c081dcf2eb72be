// Dev aid: `tsx bench/probes/page-probe.ts ROWS [RUNS]`: the server's side of scenario 8 alone:
// every page of a receive from scratch read through the client's transport (no device), timed per
// run, with the server process's CPU time per page (10 ms resolution over the run).
// BENCH_SERVER_NODE_ARGS profiles the server process.
import { join } from "node:path";
import { createTransport } from "../../client/create-transport.ts";
import { resolveOptions } from "../../client/resolve-options.ts";
import { startServerProcess } from "../../test-utils/server-process.ts";
import { tempDir } from "../../test-utils/temp-dir.ts";
import { processCpuMs } from "../process-cpu-ms.ts";
import { serverDatabase } from "../receive-run.ts";

const [rows = "100000", runs = "3"] = process.argv.slice(2);
const dir = tempDir("page-probe-");
const path = join(dir.path, "server.db");
await serverDatabase(path, Number(rows));
const server = await startServerProcess(`file:${path}`);
const transport = createTransport(
  resolveOptions({ database: `file:${join(dir.path, "device.db")}`, endpoint: server.endpoint }),
);
try {
  for (let run = 0; run < Number(runs); run++) {
    let cursor: string | null = null;
    let pages = 0;
    const started = performance.now();
    const cpuBefore = processCpuMs(server.child.pid) ?? Number.NaN;
    for (;;) {
      const page = await transport.changes(`probe-${run}`, { cursor, limit: undefined }, {});
      pages += 1;
      if (!page.hasMore) break;
      cursor = page.cursor;
    }
    const ms = performance.now() - started;
    const cpu = (processCpuMs(server.child.pid) ?? Number.NaN) - cpuBefore;
    console.log(
      `${pages} pages in ${ms.toFixed(0)} ms (${(ms / pages).toFixed(2)} ms a page, server CPU ${(cpu / pages).toFixed(2)} ms a page)`,
    );
  }
} finally {
  transport.close();
  await server.stop();
  dir.remove();
}
