import type { ConvergenceHistory } from "./convergence-history.ts";
import {
  count,
  markerOf,
  type Row,
  readScopes,
  type TableName,
  tableNames,
} from "./convergence-setup.ts";
import type { TeamDevice } from "./team-device.ts";

// The end of a convergence history: the app clears its rejected events, every device syncs until
// nothing moves, and each must then hold exactly the server's rows in its read scopes.

/**
 * The app's part once writing stops: it removes the events the server rejected, newest first (a
 * rejected INSERT's row goes with its event, and rows that refer to it come later). Returns how
 * many it removed.
 */
async function removeRejected(h: ConvergenceHistory, device: number): Promise<number> {
  const dev = h.devices[device] as TeamDevice;
  const events = await dev.client.events({ status: "rejected", limit: 1000 });
  for (const event of events.toReversed()) {
    count(h.totals.rejected, `${event.kind} ${event.table} ${event.error?.code}`);
    const data = event.data as Row | null;
    if (event.kind === "insert" && data) {
      h.deletedByApp.add(markerOf(data, event.table as TableName));
    }
    try {
      await dev.client.removeEvent(event.id);
    } catch (error) {
      h.problem(`${dev.clientId}: removeEvent(${event.id}) failed: ${String(error)}`);
    }
  }
  return events.length;
}

/**
 * Syncs every device, round after round, each removing its rejected events first, until a round
 * moves nothing (at least two).
 */
export async function finalRounds(h: ConvergenceHistory): Promise<void> {
  for (let round = 0; round < 5; round++) {
    let moved = 0;
    for (const [device] of h.devices.entries()) {
      moved += await removeRejected(h, device);
      const report = await h.sync(device, `final round ${round} dev${device}`);
      if (report) {
        moved +=
          report.send.applied +
          report.send.rejected +
          report.receive.applied +
          report.receive.removed;
      }
    }
    if (round >= 1 && moved === 0) return;
  }
  h.problem("the final rounds never settled");
}

/** The end state: every device equal to the server in its scopes, nothing lost, nothing doubled. */
export async function checkEnd(h: ConvergenceHistory): Promise<void> {
  for (const [device, dev] of h.devices.entries()) {
    await h.checkStorage(device, "at the end");
    const pending = await dev.client.events({ status: "pending", limit: 10 });
    if (pending.length > 0) h.problem(`${dev.clientId}: ${pending.length} events pending`);
    const rejected = await dev.client.events({ status: "rejected", limit: 10 });
    if (rejected.length > 0) h.problem(`${dev.clientId}: ${rejected.length} events rejected`);
    const held = await h.deviceTables(device);
    const expected = await h.serverTables(readScopes[dev.clientId] ?? null);
    const differences: string[] = [];
    for (const table of tableNames) {
      const server = new Map(expected[table].map((row) => [String(row.id), row]));
      const have = new Map(held[table].map((row) => [String(row.id), row]));
      for (const [key, row] of have) {
        const theirs = server.get(key);
        if (!theirs) {
          differences.push(
            `${dev.clientId} holds ${table}:${key} ${JSON.stringify(row)}, not in its scopes on the server`,
          );
        } else if (JSON.stringify(theirs) !== JSON.stringify(row)) {
          differences.push(
            `${dev.clientId} ${table}:${key} is ${JSON.stringify(row)}, on the server ${JSON.stringify(theirs)}`,
          );
        }
      }
      for (const [key, row] of server) {
        if (!have.has(key))
          differences.push(`${dev.clientId} lacks ${table}:${key} ${JSON.stringify(row)}`);
      }
      const markers = held[table].map((row) => markerOf(row, table));
      if (new Set(markers).size !== markers.length) {
        h.problem(`${dev.clientId}: ${table} holds a marker twice`);
      }
    }
    if (differences.length === 0) continue;
    for (const d of differences) h.problem(d);
    // What the device knows of the rows that differ, for the reader of a failure.
    for (const sql of [
      "SELECT table_name, row_key, kind, version, held FROM sync_receive_stage",
      "SELECT table_name, row_key, version FROM sync_row_version",
      "SELECT seq, kind, table_name, row_key, status, error_code FROM sync_outbox",
    ]) {
      h.log.push(
        `${dev.clientId} ${sql.split(" FROM ")[1]}: ${JSON.stringify(await dev.rows(sql))}`,
      );
    }
  }
  const integrity = await h.server.rows("PRAGMA integrity_check");
  if (String(integrity[0]?.integrity_check) !== "ok") h.problem("server: integrity_check failed");
  if ((await h.server.rows("PRAGMA foreign_key_check")).length > 0) {
    h.problem("server: foreign_key_check failed");
  }
  for (const [marker, { device, table }] of h.inserted) {
    if (!h.seenOnServer.has(marker) && !h.deletedByApp.has(marker)) {
      h.problem(`lost: ${table} ${marker} inserted by dev${device} never reached the server`);
    }
  }
}
