// Dev aid, preloaded into the server by bench/probes/timeline-probe.ts (node --import): records when
// each POST arrived, when its body ended and when its answer was handed to the socket, as
// epoch milliseconds, and writes them to SERVER_TIMING_OUT at exit.
import { writeFileSync } from "node:fs";
import http from "node:http";

const now = () => performance.timeOrigin + performance.now();
const requests = [];
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function timedEmit(event, req, res, ...rest) {
  if (event === "request" && req.method === "POST") {
    const entry = { arrived: now(), bodyEnded: 0, answered: 0 };
    req.once("end", () => {
      entry.bodyEnded = now();
    });
    res.once("finish", () => {
      entry.answered = now();
      requests.push(entry);
    });
  }
  return emit.call(this, event, req, res, ...rest);
};
process.on("exit", () => {
  if (process.env.SERVER_TIMING_OUT) {
    writeFileSync(process.env.SERVER_TIMING_OUT, JSON.stringify(requests));
  }
});
