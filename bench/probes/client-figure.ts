// `tsx bench/probes/client-figure.ts [events] [every] [runs]`: the client's send() time and peak RSS in
// its own process, for an outbox of location events with a checkpoint every `every` (the client
// issue's figure: 10,000 events, a checkpoint every 100).
import { tempDir } from "../../test-utils/temp-dir.ts";
import { clientProcessRun } from "../client-process-run.ts";
import { locationTemplate } from "../fixtures.ts";
import { figure, repeat } from "../measure.ts";

const [events = "10000", every = "100", runs = "5"] = process.argv.slice(2);
const dir = tempDir("client-figure-");
try {
  const template = await locationTemplate(dir.path, Number(events), Number(every));
  const results = await repeat(Number(runs), (run) => clientProcessRun(dir.path, template, run));
  const ms = figure(results.map((r) => r.ms));
  const peak = figure(results.map((r) => r.peakMb));
  console.log(
    `${events} events, checkpoint every ${every}: ${results[0]?.batches} requests; send() median ${ms.median.toFixed(0)} ms (${ms.min.toFixed(0)}–${ms.max.toFixed(0)}), ` +
      `${Math.round(Number(events) / (ms.median / 1000))} ops/s; client peak RSS median ${peak.median.toFixed(1)} MB (${peak.min.toFixed(1)}–${peak.max.toFixed(1)}) over ${results.length} runs`,
  );
} finally {
  dir.remove();
}
