import type { SyncReport } from "../client/index.ts";
import type { ConvergenceHistory } from "./convergence-history.ts";
import { clientIds, codeOf, count } from "./convergence-setup.ts";
import { type PlannedWrite, planWrite, writeSome } from "./convergence-writes.ts";
import type { RoutedFault } from "./routed-fault-fetch.ts";
import type { TeamDevice } from "./team-device.ts";
import { tag } from "./team-model.ts";

// The steps of a convergence history: writes, syncs and receives, and the faults between them
// (lost and duplicated answers and pages, clients closed mid-receive, app writes during an apply,
// server restarts, tombstones purged while a device is offline).

/** The faults of the network, armed on a device's fetch for one sync. */
export const faultKinds = [
  "drop-answer",
  "dup-batch",
  "drop-page",
  "dup-page",
  "replay-page",
] as const;
/** What a step of a history does. */
export type StepKind =
  | "write"
  | "sync"
  | "receive-only"
  | RoutedFault
  | "close-mid-receive"
  | "write-during-apply"
  | "server-restart"
  | "purge-offline";

/** Runs one step of a history: `kind` on `device`, its choices drawn from `random`. */
export async function runStep(
  h: ConvergenceHistory,
  kind: StepKind,
  device: number,
  random: () => number,
): Promise<void> {
  const dev = h.devices[device] as TeamDevice;
  const label = `${kind} ${dev.clientId}`;
  h.totals.steps += 1;
  switch (kind) {
    case "write": {
      h.log.push(label);
      await writeSome(h, device, random);
      return;
    }
    case "sync":
      await h.sync(device, label);
      return;
    case "receive-only": {
      // Pending events stay pending: they are applied again over the rows pulled.
      let report: SyncReport["receive"] | null = null;
      try {
        report = await dev.client.receive();
        h.log.push(`${label}: ${report.applied} applied, ${report.held} held`);
      } catch (error) {
        h.log.push(`${label}: failed ${codeOf(error)}`);
        if (codeOf(error) !== "UNANSWERED_BATCH") h.problem(`${label}: ${codeOf(error)}`);
      }
      await h.observeDevice(device, report, label);
      return;
    }
    case "close-mid-receive": {
      // Closed from onProgress after a page is staged (at the latest the last one, before the
      // apply), reopened on the same file; the next receive goes on from the staged cursor.
      const stopAt = 1 + Math.floor(random() * 3);
      let closing: Promise<void> | undefined;
      const client = dev.client;
      const report = await h.sync(
        device,
        label,
        {
          receive: {
            onProgress: (p) => {
              if (!closing && (p.pages >= stopAt || !p.hasMore)) closing = client.close();
            },
          },
        },
        ["ABORTED"],
      );
      if (report !== null) h.problem(`${label}: the receive was not stopped`);
      await closing;
      await dev.reopen();
      count(h.totals.faults, kind);
      return;
    }
    case "write-during-apply": {
      // Writes planned before, made once the last page is staged: the first is queued before the
      // apply's transaction, the others a turn or more later, during or after it.
      const writes: PlannedWrite[] = [];
      for (let i = Math.floor(random() * 3); i >= 0; i--) {
        const write = await planWrite(h, device, random);
        h.log.push(`  ${dev.clientId} (during the apply): ${write.what}`);
        writes.push(write);
      }
      const made: Array<Promise<number>> = [];
      await h.sync(device, label, {
        receive: {
          onProgress: (p) => {
            if (p.hasMore || made.length > 0) return;
            writes.forEach((write, i) => {
              const later = new Promise<void>((resolve) => setTimeout(resolve, i));
              made.push(i === 0 ? write.run() : later.then(() => write.run()));
            });
          },
        },
      });
      // Writes planned before the apply may find their row gone: the app is told so.
      for (const result of await Promise.allSettled(made)) {
        if (result.status === "fulfilled") h.totals.events += result.value;
        else if (codeOf(result.reason) === "INVALID_WRITE") h.totals.appWritesRefused += 1;
        else h.problem(`${label}: a write failed ${codeOf(result.reason)}`);
      }
      if (made.length > 0) count(h.totals.faults, kind);
      return;
    }
    case "server-restart": {
      await h.restartServer();
      h.log.push(label);
      count(h.totals.faults, kind);
      await h.sync(device, `${label} (sync after)`);
      return;
    }
    case "purge-offline": {
      // The device is offline while another deletes (a tombstone after its cursor) and the
      // server purges every tombstone; back online, its cursor has expired.
      const other = (device + 1 + Math.floor(random() * (clientIds.length - 1))) % clientIds.length;
      const otherDev = h.devices[other] as TeamDevice;
      const marker = h.marker("G", other);
      const id = await otherDev.client.insert(tag, { label: marker });
      h.inserted.set(marker, { device: other, table: "tag" });
      await h.sync(other, `${label}: ${otherDev.clientId} inserts a tag`);
      await otherDev.client.delete(tag, id);
      h.deletedByApp.add(marker);
      h.totals.events += 2;
      await h.sync(other, `${label}: ${otherDev.clientId} deletes it`);
      const pruned = await h.server.sync.store.pruneTombstones(Date.now() + 1e9, 1e6);
      h.log.push(`${label}: ${pruned} pruned`);
      count(h.totals.faults, kind);
      await writeSome(h, device, random);
      const hadCursor = (h.cursors[device] ?? -1) >= 0;
      const report = await h.sync(device, `${label} (back online)`);
      if (report && hadCursor && report.receive.reset !== "CURSOR_EXPIRED") {
        h.problem(`${label}: back online, reset ${report.receive.reset}, not CURSOR_EXPIRED`);
      }
      return;
    }
    default: {
      // Something to send for a fault of syncBatch; pages of one change for a fault of pages.
      const onBatch = kind === "drop-answer" || kind === "dup-batch";
      if (onBatch && (await dev.client.events({ status: "pending", limit: 1 })).length === 0) {
        await writeSome(h, device, random);
      }
      dev.net.arm(kind);
      await h.sync(device, label, onBatch ? {} : { receive: { limit: 1 } });
      if (dev.net.disarm() === undefined) count(h.totals.faults, kind);
    }
  }
}
