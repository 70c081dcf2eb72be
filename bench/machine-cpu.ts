// CPU time of the whole machine and of a PostgreSQL server with its backends, read from /proc
// (Linux), so that the bench can tell other work's noise from its own processes'.
import { readdirSync, readFileSync } from "node:fs";

/** The machine's busy and total jiffies so far (first line of /proc/stat). */
export function machineJiffies(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait are the 4th and 5th.
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** The fields of /proc/PID/stat after the command name (state first); undefined if gone. */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The postmaster listening on `port`: the process started with `-p PORT` by startPostgres. */
export function postmasterPid(port: string): string | undefined {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const p = args.indexOf("-p");
      if (p >= 0 && args[p + 1] === port && args.includes("-D")) return pid;
    } catch {
      // A process that ended while the folder was read.
    }
  }
  return undefined;
}

/**
 * CPU milliseconds of a PostgreSQL server so far: the postmaster's own, that of the backends it
 * has reaped (its cutime and cstime) and that of its live children (backends, WAL writer,
 * checkpointer, …). Ten-millisecond resolution.
 */
export function postgresCpuMs(postmaster: string): number {
  // utime, stime, cutime, cstime are fields 12–15 counted from state (1).
  const ticks = (fields: string[] | undefined) =>
    fields ? [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) : 0;
  let sum = ticks(statFields(postmaster));
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || pid === postmaster) continue;
    const fields = statFields(pid);
    if (fields?.[1] === postmaster) sum += ticks(fields);
  }
  return sum * 10;
}
