// Dev aid: `tsx bench/probes/conflict-probe.ts [REQUESTS] [RUNS]`: scenario 9 (1,000 UPDATEs with
// baseVersion against the same without, alternated) alone, each run in a fresh process as the bench
// runs it.
import { tempDir } from "../../test-utils/temp-dir.ts";
import { conflictProcessRun } from "../conflict-process-run.ts";

const [requests = "50", runs = "1"] = process.argv.slice(2);
const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const dir = tempDir("conflict-probe-");
try {
  for (let run = 0; run < Number(runs); run++) {
    const result = await conflictProcessRun({
      dir: dir.path,
      rows: 10_000,
      requests: Number(requests),
      operations: 1000,
    });
    const checked = median(result.checkedMs);
    const unchecked = median(result.uncheckedMs);
    console.log(
      `checked ${checked.toFixed(1)} ms, unchecked ${unchecked.toFixed(1)} ms, ratio ${(checked / unchecked).toFixed(3)}`,
    );
  }
} finally {
  dir.remove();
}
