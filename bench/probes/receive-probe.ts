// Dev aid: `tsx bench/probes/receive-probe.ts ROWS [RUNS] [limit]`: scenario 8's receive from
// scratch of ROWS rows, RUNS times, with the device's peak RSS; `limit` adds scenario 1's limit for
// the ratio. RECEIVE_NODE_FLAGS="..." passes flags to the device process (e.g. --cpu-prof).
import { tempDir } from "../../test-utils/temp-dir.ts";
import { limitRun } from "../limit-run.ts";
import { receiveRun } from "../receive-run.ts";

const [rows = "100000", runs = "1", withLimit] = process.argv.slice(2);
const flags = process.env.RECEIVE_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
const dir = tempDir("receive-probe-");
try {
  for (let run = 0; run < Number(runs); run++) {
    const result = await receiveRun(dir.path, Number(rows), 0, run, flags);
    let line = `${Math.round(result.rowsPerSecond)} rows/s (apply ${Math.round(result.applyMs)} ms), peak ${result.peakMb.toFixed(1)} MB`;
    if (withLimit === "limit") {
      const limit = await limitRun(dir.path, 100_000, run, "file-writer");
      line += `, limit ${Math.round(limit)} rows/s, ratio ${(result.rowsPerSecond / limit).toFixed(3)}`;
    }
    console.log(line);
  }
} finally {
  dir.remove();
}
