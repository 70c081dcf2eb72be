import type { ConvergenceHistory } from "./convergence-history.ts";
import { markerOf, type Row, readScopes, type TableName, teams } from "./convergence-setup.ts";
import type { TeamDevice } from "./team-device.ts";
import { comment, project, tag, task } from "./team-model.ts";

// The writes of the convergence property: an app's inserts, updates and deletes (parents with
// their children, in one transaction), chosen at random from the rows a device holds.

/** A write planned from the rows a device holds, made by `run` (which counts its events). */
export interface PlannedWrite {
  readonly what: string;
  run(): Promise<number>;
}

/**
 * A UUID (v4 layout) from the history's random numbers and a number unique in the history (its
 * last 12 digits): the same run makes the same keys, and no key is made twice.
 */
function uuidFrom(random: () => number, unique: number): string {
  const hex = Array.from({ length: 20 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "8";
  const s = hex.join("") + unique.toString(16).padStart(12, "0");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** A write the device can make now, chosen from the rows it holds; `run` counts its events. */
export async function planWrite(
  h: ConvergenceHistory,
  device: number,
  random: () => number,
): Promise<PlannedWrite> {
  const dev = h.devices[device] as TeamDevice;
  const t = await h.deviceTables(device);
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
  const ownTeams = readScopes[dev.clientId] ?? teams;
  const rename = (row: Row, table: TableName) => `${markerOf(row, table)}/${h.nextNumber()}`;
  const childrenOf = (taskId: unknown) => t.comment.filter((c) => c.task_id === taskId);
  const tasksOf = (projectId: unknown) => t.task.filter((k) => k.project_id === projectId);
  const insert = (
    what: string,
    table: TableName,
    marker: string,
    write: () => Promise<unknown>,
  ) => ({
    what: `insert ${table} ${marker} ${what}`,
    run: () =>
      write().then(() => {
        h.inserted.set(marker, { device, table });
        return 1;
      }),
  });
  const change = (what: string, write: () => Promise<unknown>) => ({
    what,
    run: () => write().then(() => 1),
  });
  const remove = (rows: Array<[TableName, Row]>, write: () => Promise<unknown>) => ({
    what: `delete ${rows.map(([table, row]) => `${table}:${String(row.id)}`).join(" ")}`,
    run: () =>
      write().then(() => {
        for (const [table, row] of rows) h.deletedByApp.add(markerOf(row, table));
        return rows.length;
      }),
  });
  const roll = random();

  if (roll < 0.12 || t.project.length === 0) {
    // Now and then into a team the device does not read.
    const teamId = (random() < 0.85 ? pick(ownTeams) : pick(teams)) ?? "t1";
    const marker = h.marker("P", device);
    return insert(`in ${teamId}`, "project", marker, () =>
      dev.client.insert(project, { teamId, name: marker }),
    );
  }
  if (roll < 0.3 || t.task.length === 0) {
    const projectId = Number(pick(t.project)?.id);
    const tagId = random() < 0.4 ? Number(pick(t.tag)?.id ?? Number.NaN) : null;
    const values = { projectId, tagId: Number.isNaN(tagId) ? null : tagId };
    const marker = h.marker("K", device);
    return insert(JSON.stringify(values), "task", marker, () =>
      dev.client.insert(task, { ...values, title: marker }),
    );
  }
  if (roll < 0.42 || t.comment.length === 0) {
    const taskId = Number(pick(t.task)?.id);
    const marker = h.marker("C", device);
    const id = uuidFrom(random, h.lastNumber);
    return insert(`${id} on task ${taskId}`, "comment", marker, () =>
      dev.client.insert(comment, { id, taskId, body: marker }),
    );
  }
  if (roll < 0.48 || t.tag.length === 0) {
    const marker = h.marker("G", device);
    return insert("", "tag", marker, () => dev.client.insert(tag, { label: marker }));
  }
  if (roll < 0.56) {
    const row = pick(t.project) as Row;
    const name = rename(row, "project");
    return change(`rename project:${row.id}`, () =>
      dev.client.update(project, Number(row.id), { name }),
    );
  }
  if (roll < 0.62) {
    // A project moves to another team, maybe one the device does not read.
    const row = pick(t.project) as Row;
    const teamId = pick(teams.filter((team) => team !== row.team_id)) ?? "t1";
    return change(`move project:${row.id} to ${teamId}`, () =>
      dev.client.update(project, Number(row.id), { teamId }),
    );
  }
  if (roll < 0.7) {
    const row = pick(t.task) as Row;
    const title = rename(row, "task");
    const tagId = random() < 0.3 ? Number(pick(t.tag)?.id) : undefined;
    return change(`rename task:${row.id} tag ${tagId}`, () =>
      dev.client.update(task, Number(row.id), tagId === undefined ? { title } : { title, tagId }),
    );
  }
  if (roll < 0.74) {
    const row = pick(t.task) as Row;
    const projectId = Number(pick(t.project)?.id);
    return change(`move task:${row.id} to project ${projectId}`, () =>
      dev.client.update(task, Number(row.id), { projectId }),
    );
  }
  if (roll < 0.79) {
    const row = pick(t.comment) as Row;
    const body = rename(row, "comment");
    return change(`rename comment:${row.id}`, () =>
      dev.client.update(comment, String(row.id), { body }),
    );
  }
  if (roll < 0.82) {
    const row = pick(t.tag) as Row;
    const label = rename(row, "tag");
    return change(`rename tag:${row.id}`, () => dev.client.update(tag, Number(row.id), { label }));
  }
  if (roll < 0.88) {
    const row = pick(t.comment) as Row;
    return remove([["comment", row]], () => dev.client.delete(comment, String(row.id)));
  }
  if (roll < 0.93) {
    // A task with its comments, in one transaction.
    const row = pick(t.task) as Row;
    const comments = childrenOf(row.id);
    return remove([...comments.map((c): [TableName, Row] => ["comment", c]), ["task", row]], () =>
      dev.client.transaction(async (w) => {
        for (const c of comments) await w.delete(comment, String(c.id));
        await w.delete(task, Number(row.id));
      }),
    );
  }
  if (roll < 0.97) {
    // A project with its tasks and their comments.
    const row = pick(t.project) as Row;
    const tasks = tasksOf(row.id);
    const comments = tasks.flatMap((k) => childrenOf(k.id));
    const rows = [
      ...comments.map((c): [TableName, Row] => ["comment", c]),
      ...tasks.map((k): [TableName, Row] => ["task", k]),
      ["project", row] as [TableName, Row],
    ];
    return remove(rows, () =>
      dev.client.transaction(async (w) => {
        for (const c of comments) await w.delete(comment, String(c.id));
        for (const k of tasks) await w.delete(task, Number(k.id));
        await w.delete(project, Number(row.id));
      }),
    );
  }
  // A tag no task on the device refers to (tasks of other teams may).
  const row = pick(t.tag.filter((g) => !t.task.some((k) => k.tag_id === g.id)));
  if (row) return remove([["tag", row]], () => dev.client.delete(tag, Number(row.id)));
  const marker = h.marker("G", device);
  return insert("", "tag", marker, () => dev.client.insert(tag, { label: marker }));
}

/** One to four writes, now and then a checkpoint after one. */
export async function writeSome(
  h: ConvergenceHistory,
  device: number,
  random: () => number,
): Promise<void> {
  const dev = h.devices[device] as TeamDevice;
  const writes = 1 + Math.floor(random() * 4);
  for (let i = 0; i < writes; i++) {
    const write = await planWrite(h, device, random);
    h.log.push(`  ${dev.clientId}: ${write.what}`);
    h.totals.events += await write.run();
    if (random() < 0.3) await dev.client.setSendCheckpoint();
  }
}
