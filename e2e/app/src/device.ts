// A device: writes offline (a project, a checkpoint, then its tasks and a comment), sends, and
// prints the rows it holds afterwards.
import { createSyncClient } from "checkpoint-sync/client";
import { model, tables } from "./model.js";

const [endpoint, database, name] = process.argv.slice(2);
if (!endpoint || !database || !name) throw new Error("usage: device.js ENDPOINT DATABASE NAME");

const client = await createSyncClient({
  database,
  endpoint,
  model,
  migrationsFolder: "migrations",
});
const projectId = await client.insert(tables.project, { name });
await client.setSendCheckpoint();
const taskId = await client.insert(tables.task, { projectId, title: `${name}: first` });
await client.insert(tables.task, { projectId, title: `${name}: second`, done: 1 });
const commentId = await client.insert(tables.comment, { taskId, body: "looks good" });
const report = await client.send();
const projects = await client.db.select().from(tables.project);
const tasks = await client.db.select().from(tables.task);
const comments = await client.db.select().from(tables.comment);
await client.close();
console.log(
  JSON.stringify({ batches: report.batches, projectId, commentId, projects, tasks, comments }),
);
