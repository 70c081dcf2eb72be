// Dev aid: `tsx bench/probes/e2e-probe.ts N EVERY [runs]`: scenario 2 alone, server in its own process.
import { tempDir } from "../../test-utils/temp-dir.ts";
import { locationTemplate } from "../fixtures.ts";
import { sendRun } from "../send-run.ts";
import { warmUpTemplates } from "../warm-up-server.ts";

const [n = "100000", every = "1000", runs = "2"] = process.argv.slice(2);
const dir = tempDir("e2e-probe-");
const template = await locationTemplate(dir.path, Number(n), Number(every));
const warmUp = await warmUpTemplates(dir.path);
for (let run = 0; run < Number(runs); run++) {
  const result = await sendRun(
    { dir: dir.path, template, maxOperationsPerRequest: 10_000, warmUp },
    run,
  );
  console.log(
    `${Math.round(result.operationsPerSecond)} ops/s, ${result.requests} requests, first commit ${(result.firstCommitSeconds * 1000).toFixed(0)} ms, p50 latency ${result.latenciesMs.toSorted((a, b) => a - b)[Math.floor(result.latenciesMs.length / 2)]?.toFixed(1)} ms, CPU per 1,000 ops: client ${((result.clientCpuMs * 1000) / result.operations).toFixed(1)} ms, server ${((result.serverCpuMs * 1000) / result.operations).toFixed(1)} ms`,
  );
}
dir.remove();
