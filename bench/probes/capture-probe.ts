// Dev aid: `tsx bench/probes/capture-probe.ts N`: time to record N location inserts (one transaction per 10,000).
import { tempDir } from "../../test-utils/temp-dir.ts";
import { locationTemplate, relatedTemplate } from "../fixtures.ts";

const n = Number(process.argv[2] ?? 100_000);
const dir = tempDir("capture-");
let started = performance.now();
await locationTemplate(dir.path, n, 1000);
const locations = performance.now() - started;
started = performance.now();
await relatedTemplate(dir.path, Math.round(n / 13), 1000);
const related = performance.now() - started;
console.log(
  `capture: ${n} location inserts in ${locations.toFixed(0)} ms (${Math.round(n / (locations / 1000))}/s); ${Math.round(n / 13) * 13} related rows in ${related.toFixed(0)} ms (${Math.round(((n / 13) * 13) / (related / 1000))}/s); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
dir.remove();
