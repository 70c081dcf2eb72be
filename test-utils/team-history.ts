import type { SyncClient } from "../client/index.ts";
import { seededRandom } from "./seeded-random.ts";
import { comment, project, type TeamTables, tag, task } from "./team-model.ts";

/** How much {@link writeTeamHistory} wrote and changed. */
export interface TeamHistory {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

type Rows = (sql: string) => Promise<Array<Record<string, unknown>>>;

/**
 * Writes a history through `client` and syncs it to the server: `projects` projects of two teams,
 * each with tasks (some tagged) and their comments, then updates (renames, tasks moved to another
 * project), deletes (comments, tasks with their comments, whole projects) and a few late inserts,
 * synced in between. Receive pages then hold parents, children, rows changed after they were
 * first written and tombstones. `rows` reads the writer's device file, for the keys the server
 * gave. Deterministic for a `seed`.
 */
export async function writeTeamHistory(
  client: SyncClient<TeamTables>,
  rows: Rows,
  { projects = 40, tasksPerProject = 10, commentsPerTask = 5, seed = 1 } = {},
): Promise<TeamHistory> {
  const random = seededRandom(seed);
  let inserted = 0;
  let updated = 0;
  let deleted = 0;
  const tags = await client.transaction(async (w) => {
    const keys: number[] = [];
    for (let i = 0; i < 10; i++) keys.push(await w.insert(tag, { label: `tag ${i}` }));
    return keys;
  });
  inserted += tags.length;
  // One transaction per project: a parent and its children reach the server in one go, as an app
  // writes them, and the pages the server later gives cut through them at any point.
  for (let p = 0; p < projects; p++) {
    inserted += await client.transaction(async (w) => {
      let count = 1;
      const projectId = await w.insert(project, { teamId: `t${p % 2}`, name: `project ${p}` });
      for (let k = 0; k < tasksPerProject; k++) {
        const tagId = random() < 0.3 ? (tags[Math.floor(random() * tags.length)] ?? null) : null;
        const taskId = await w.insert(task, { projectId, tagId, title: `task ${p}.${k}` });
        count += 1;
        for (let c = 0; c < commentsPerTask; c++) {
          await w.insert(comment, { id: `c-${p}-${k}-${c}`, taskId, body: `comment ${c}` });
          count += 1;
        }
      }
      return count;
    });
  }
  await client.sync();
  // After the sync the device holds the server's keys.
  const projectIds = (await rows("SELECT id FROM project ORDER BY id")).map((r) => Number(r.id));
  const taskIds = (await rows("SELECT id FROM task ORDER BY id")).map((r) => Number(r.id));
  const commentIds = (await rows("SELECT id FROM comment ORDER BY id")).map((r) => String(r.id));
  await client.transaction(async (w) => {
    for (const id of taskIds) {
      if (random() < 0.15) {
        await w.update(task, id, { title: `renamed ${id}` });
        updated += 1;
      } else if (random() < 0.05) {
        // Moved under another project: its new parent may sit on a later page than it did.
        const to = projectIds[Math.floor(random() * projectIds.length)] as number;
        await w.update(task, id, { projectId: to });
        updated += 1;
      }
    }
    for (const id of commentIds) {
      if (random() < 0.05) {
        await w.update(comment, id, { body: `edited ${id}` });
        updated += 1;
      } else if (random() < 0.04) {
        await w.delete(comment, id);
        deleted += 1;
      }
    }
  });
  await client.sync();
  // Deletes of parents with their children, each in one transaction as the app must do it.
  const doomed = projectIds.filter((_, i) => i % 9 === 4);
  for (const projectId of doomed) {
    // Read before the transaction: the reader is another connection to the file.
    const tasks = await rows(`SELECT id FROM task WHERE project_id = ${projectId}`);
    const comments = await rows(
      `SELECT id FROM comment WHERE task_id IN (SELECT id FROM task WHERE project_id = ${projectId})`,
    );
    await client.transaction(async (w) => {
      for (const c of comments) await w.delete(comment, String(c.id));
      for (const { id } of tasks) await w.delete(task, Number(id));
      await w.delete(project, projectId);
    });
    deleted += comments.length + tasks.length + 1;
  }
  // Late rows under old parents: changes of a parent and of its children far apart in the run.
  inserted += await client.transaction(async (w) => {
    const live = projectIds.filter((id) => !doomed.includes(id));
    let count = 0;
    for (const projectId of live.slice(0, 5)) {
      const taskId = await w.insert(task, { projectId, title: `late task of ${projectId}` });
      await w.insert(comment, { id: `late-${projectId}`, taskId, body: "late" });
      count += 2;
    }
    return count;
  });
  await client.sync();
  return { inserted, updated, deleted };
}
