// The PostgreSQL connections of the sync server processes, sampled while the devices send.
import postgres from "postgres";

/**
 * Samples the server connections of the database of `url` every `everyMs` until `stop()`:
 * the peaks of open, busy and lock-waiting ones. Runs in the load generator's event loop, so
 * under load the interval stretches (the sample count says by how much).
 */
export function sampleConnections(url: string, everyMs: number) {
  const sql = postgres(url, {
    max: 1,
    onnotice: () => undefined,
    connection: { application_name: "sync-bench-sampler" },
  });
  const peak = { open: 0, busy: 0, waiting: 0, samples: 0 };
  /** Busy connections seen, by what they waited for and the start of their statement. */
  const seen = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql.unsafe(
        `SELECT state, wait_event_type, wait_event,
          left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS query
        FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'checkpoint-sync'`,
      );
      const busy = rows.filter((row) => row.state !== "idle");
      peak.open = Math.max(peak.open, rows.length);
      peak.busy = Math.max(peak.busy, busy.length);
      peak.waiting = Math.max(
        peak.waiting,
        busy.filter((row) => row.wait_event_type === "Lock").length,
      );
      peak.samples += 1;
      for (const row of busy) {
        const what = `${row.state}, ${row.wait_event_type ?? "on CPU"}/${row.wait_event ?? "-"}: ${row.query}`;
        seen.set(what, (seen.get(what) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  // Kept for stop(): a failed sample must fail the run, not the process as unhandled.
  const ended = loop.then(
    () => undefined,
    (error: unknown) => error,
  );
  return {
    async stop() {
      running = false;
      const failure = await ended;
      await sql.end();
      if (failure !== undefined) throw failure;
      return { ...peak, seen };
    },
  };
}
