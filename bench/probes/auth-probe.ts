// Dev aid: `tsx bench/probes/auth-probe.ts [REQUESTS] [WARM_UP] [PAIRS]`: scenario 10 alone (a
// verified token against open mode, 1,000 INSERTs a request), with its figures.

import { tempDir } from "../../test-utils/temp-dir.ts";
import { authRun } from "../auth-run.ts";
import { figure } from "../measure.ts";

const [requests = 200, warmUp = 30, pairs = 2] = process.argv.slice(2).map(Number);
const dir = tempDir("auth-probe-");
try {
  const run = await authRun({ dir: dir.path, pairs, requests, warmUp, operations: 1000 });
  const ratios = figure(run.token.ms.map((ms, i) => ms / (run.open.ms[i] ?? ms)));
  const token = figure(run.token.ms);
  const open = figure(run.open.ms);
  const cpu = run.token.cpuMsPerRequest / run.open.cpuMsPerRequest;
  console.log(
    `request by request ${ratios.median.toFixed(3)} (${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)}); medians ${token.median.toFixed(1)} and ${open.median.toFixed(1)} ms; server CPU a request ${run.token.cpuMsPerRequest.toFixed(1)} and ${run.open.cpuMsPerRequest.toFixed(1)} ms (${cpu.toFixed(3)} ×)`,
  );
} finally {
  dir.remove();
}
