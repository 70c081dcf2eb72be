// The app's tables, in a file of their own: drizzle-kit reads it to make the migrations.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
});

export const task = sqliteTable("task", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  title: text("title").notNull(),
  done: integer("done").notNull().default(0),
});

export const comment = sqliteTable("comment", {
  id: text("id").primaryKey(),
  taskId: integer("task_id")
    .notNull()
    .references(() => task.id),
  body: text("body").notNull(),
});
