// Dev aid: `tsx bench/probes/memory-probe.ts N...`: scenario 6 alone, client peak RSS per outbox size.
import { tempDir } from "../../test-utils/temp-dir.ts";
import { clientProcessRun } from "../client-process-run.ts";
import { locationTemplate } from "../fixtures.ts";

const sizes = process.argv.slice(2).map(Number);
const dir = tempDir("memory-probe-");
for (const n of sizes.length > 0 ? sizes : [10_000, 100_000]) {
  const template = await locationTemplate(dir.path, n, 1000);
  const runs = [];
  for (let run = 0; run < 3; run++) runs.push(await clientProcessRun(dir.path, template, run));
  console.log(
    `${n} events: peak RSS ${runs.map((r) => r.peakMb.toFixed(1)).join(" / ")} MB, send ${runs.map((r) => r.ms.toFixed(0)).join(" / ")} ms`,
  );
}
dir.remove();
