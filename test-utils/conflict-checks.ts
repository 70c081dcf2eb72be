import type { SendReport } from "../client/index.ts";
import type { ConflictHistory, HistoryDevice } from "./conflict-history.ts";
import { tableNames } from "./conflict-history.ts";
import { canonical } from "./conflict-reference.ts";

// The checks of faults/conflict-property.test.ts besides the verdicts (which the history checks
// as each answer comes): the server against the model, and what the device tells the app.

/** The server's rows and their versions are the model's (`when` names the moment). */
export async function checkServer(h: ConflictHistory, when: string): Promise<void> {
  for (const table of tableNames) {
    const expected = [...h.model.rows]
      .filter(([id, row]) => id.startsWith(`${table}:`) && !row.deleted)
      .map(([id, row]) => ({ id: Number(id.split(":")[1]), ...row.values }))
      .sort((a, b) => a.id - b.id);
    const actual = await h.serverRows(table);
    if (canonical(actual) !== canonical(expected)) {
      h.problem(
        `${when}: server ${table} ${JSON.stringify(actual)}, the model says ${JSON.stringify(expected)}`,
      );
    }
  }
  const states = await h.server.rows(
    "SELECT table_name, row_key, version, deleted, writer, writer_from FROM sync_row",
  );
  const stored = new Map(states.map((s) => [`${s.table_name}:${s.row_key}`, s]));
  for (const [id, row] of h.model.rows) {
    const s = stored.get(id);
    // A row only inserted has no state of its own (its run of inserts stands for it).
    const actual = s
      ? [Number(s.version), Boolean(s.deleted), s.writer, Number(s.writer_from)]
      : [1, false, row.writer, 1];
    const expected = [row.version, row.deleted, row.writer, row.writerFrom];
    if (canonical(actual) !== canonical(expected)) {
      h.problem(
        `${when}: server state of ${id} ${JSON.stringify(actual)}, the model says ${JSON.stringify(expected)}`,
      );
    }
  }
}

/** Every rejected event of the device shows the verdict its answer gave. */
export async function checkRejected(h: ConflictHistory, device: HistoryDevice): Promise<void> {
  for (const event of await device.client.events({ status: "rejected", limit: 10_000 })) {
    const verdict = h.verdicts.get(`${device.clientId}/${event.id}`);
    const shown = {
      code: event.error?.code ?? null,
      conflict: event.conflict && {
        ...event.conflict,
        columns: [...event.conflict.columns].sort(),
      },
    };
    if (canonical(shown) !== canonical({ code: verdict?.code, conflict: verdict?.conflict })) {
      h.problem(
        `${device.clientId} event ${event.id} shows ${JSON.stringify(shown)}, its answer ${JSON.stringify(verdict)}`,
      );
    }
  }
}

/** A send's report counts the conflicts of the answers its device got (then forgets them). */
export function checkReport(h: ConflictHistory, device: HistoryDevice, report: SendReport): void {
  const reported = Object.fromEntries(Object.entries(report.conflicts).filter(([, n]) => n > 0));
  if (JSON.stringify(reported) !== JSON.stringify(sortedCounts(device.conflictsSeen))) {
    h.problem(
      `${device.clientId}: send reported conflicts ${JSON.stringify(reported)}, answers had ${JSON.stringify(device.conflictsSeen)}`,
    );
  }
  device.conflictsSeen = {};
}
/** Counts in the report's order of resolutions. */
function sortedCounts(counts: Record<string, number>): Record<string, number> {
  const order = ["CLIENT_WON", "MERGED", "SERVER_WON", "DELETED_REMOTELY"];
  return Object.fromEntries(
    order.filter((name) => counts[name]).map((name) => [name, counts[name] as number]),
  );
}
