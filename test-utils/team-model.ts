import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { defineSyncModel } from "../schema/index.ts";

// A scoped model for tests of receive: a team's projects, their tasks and the tasks' comments are
// the team's (a project's scope is its team_id; a task inherits its project's, a comment its
// task's); tags are everyone's. (`comment` and not `note`: the example model's `note`, which every
// test server's database holds, is another table.)

export const tag = sqliteTable("tag", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  label: text("label").notNull(),
});
export const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  teamId: text("team_id").notNull(),
  name: text("name").notNull(),
});
export const task = sqliteTable("task", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  tagId: integer("tag_id").references(() => tag.id),
  title: text("title").notNull(),
});
export const comment = sqliteTable("comment", {
  id: text("id").primaryKey(),
  taskId: integer("task_id")
    .notNull()
    .references(() => task.id),
  body: text("body").notNull(),
});

export const teamTables = { tag, project, task, comment };
export type TeamTables = typeof teamTables;

export const teamModel = defineSyncModel(teamTables, {
  scopes: {
    project: { column: "team_id" },
    task: { parent: "project_id" },
    comment: { parent: "task_id" },
  },
});

/** The model's tables as SQL, for the server's database and each device's (idempotent). */
export const teamTablesSql: readonly string[] = [
  "CREATE TABLE IF NOT EXISTS tag (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, label text NOT NULL)",
  "CREATE TABLE IF NOT EXISTS project (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, team_id text NOT NULL, name text NOT NULL)",
  "CREATE TABLE IF NOT EXISTS task (id integer PRIMARY KEY AUTOINCREMENT NOT NULL, project_id integer NOT NULL REFERENCES project(id), tag_id integer REFERENCES tag(id), title text NOT NULL)",
  "CREATE TABLE IF NOT EXISTS comment (id text PRIMARY KEY NOT NULL, task_id integer NOT NULL REFERENCES task(id), body text NOT NULL)",
];

/** Every row of each table, by key. */
export const allRows: Record<keyof TeamTables, string> = {
  tag: "SELECT id, label FROM tag ORDER BY id",
  project: "SELECT id, team_id, name FROM project ORDER BY id",
  task: "SELECT id, project_id, tag_id, title FROM task ORDER BY id",
  comment: "SELECT id, task_id, body FROM comment ORDER BY id",
};

/** Each table's rows in a device's read scopes (`teams`; null: every scope), as SQL, by key. */
export function rowsInScopes(teams: readonly string[] | null): Record<keyof TeamTables, string> {
  const projects =
    teams === null
      ? "SELECT id FROM project"
      : `SELECT id FROM project WHERE team_id IN (${teams.map((t) => `'${t}'`).join(", ")})`;
  const tasks = `SELECT id FROM task WHERE project_id IN (${projects})`;
  return {
    tag: "SELECT id, label FROM tag ORDER BY id",
    project: `SELECT id, team_id, name FROM project WHERE id IN (${projects}) ORDER BY id`,
    task: `SELECT id, project_id, tag_id, title FROM task WHERE id IN (${tasks}) ORDER BY id`,
    comment: `SELECT id, task_id, body FROM comment WHERE task_id IN (${tasks}) ORDER BY id`,
  };
}
