// Dev aid: `tsx bench/probes/related-probe.ts CUSTOMERS EVERY [runs]`: scenario 3 (related rows) alone, server in its own process.
import { tempDir } from "../../test-utils/temp-dir.ts";
import { relatedTemplate } from "../fixtures.ts";
import { sendRun } from "../send-run.ts";
import { warmUpTemplates } from "../warm-up-server.ts";

const [customers = "10000", every = "1000", runs = "2"] = process.argv.slice(2);
const dir = tempDir("related-probe-");
const template = await relatedTemplate(dir.path, Number(customers), Number(every));
const warmUp = await warmUpTemplates(dir.path);
for (let run = 0; run < Number(runs); run++) {
  const result = await sendRun(
    { dir: dir.path, template, maxOperationsPerRequest: 10_000, warmUp },
    run,
  );
  console.log(
    `${Math.round(result.operationsPerSecond)} ops/s, ${result.requests} requests, CPU per 1,000 ops: client ${((result.clientCpuMs * 1000) / result.operations).toFixed(1)} ms, server ${((result.serverCpuMs * 1000) / result.operations).toFixed(1)} ms`,
  );
}
dir.remove();
