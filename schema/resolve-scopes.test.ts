import {
  type AnySQLiteColumn,
  integer,
  real,
  type SQLiteTable,
  sqliteTable,
  text,
} from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { defineSyncModel, type SyncModelOptions } from "./define-sync-model.ts";
import { exampleModel } from "./example-model.ts";

const team = sqliteTable("team", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
});
const project = sqliteTable("project", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  teamId: integer("team_id").notNull(),
  owner: text("owner"),
  budget: real("budget").notNull(),
  name: text("name").notNull(),
});
const tag = sqliteTable("tag", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
});
const task = sqliteTable("task", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  projectId: integer("project_id")
    .notNull()
    .references(() => project.id),
  tagId: integer("tag_id")
    .notNull()
    .references(() => tag.id),
  title: text("title").notNull(),
});
const comment = sqliteTable("comment", {
  id: text("id").primaryKey(),
  taskId: integer("task_id")
    .notNull()
    .references(() => task.id),
  body: text("body").notNull(),
});

const threeLevels = { comment, task, tag, project };
const threeLevelScopes = {
  project: { column: "team_id" },
  task: { parent: "project_id" },
  comment: { parent: "task_id" },
} as const;

/** The message defineSyncModel refuses a model with. */
function refusal<T extends Record<string, SQLiteTable>>(
  tables: T,
  scopes: NonNullable<SyncModelOptions<T>["scopes"]>,
): string {
  try {
    defineSyncModel(tables, { scopes });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the model was accepted");
}

describe("a model's table scopes", () => {
  it("default to global: every device reads every table", () => {
    const model = defineSyncModel(threeLevels);
    expect(model.scoped).toBe(false);
    for (const table of model.ordered) expect(table.scope).toEqual({ kind: "global" });
    expect(defineSyncModel(threeLevels, {}).scoped).toBe(false);
  });

  it("leave the example model unscoped", () => {
    expect(exampleModel.scoped).toBe(false);
    for (const table of exampleModel.ordered) expect(table.scope.kind).toBe("global");
  });

  it("resolve three levels: a team-scoped project, its tasks, their comments; a global tag", () => {
    const model = defineSyncModel(threeLevels, { scopes: threeLevelScopes });
    const info = (name: string) => model.byName.get(name);
    expect(model.scoped).toBe(true);
    expect(info("project")?.scope).toEqual({
      kind: "column",
      column: info("project")?.columnsByName.get("team_id"),
    });
    expect(info("task")?.scope).toEqual({
      kind: "parent",
      column: info("task")?.columnsByName.get("project_id"),
      parent: "project",
    });
    expect(info("comment")?.scope).toMatchObject({ kind: "parent", parent: "task" });
    expect(info("tag")?.scope).toEqual({ kind: "global" });
    // The resolved column is the table's own ColumnInfo, and ordered keeps parents first.
    const scope = info("task")?.scope;
    expect(scope?.kind === "parent" && scope.column === info("task")?.references[0]).toBe(true);
    const order = model.ordered.map((table) => table.name);
    expect(order.indexOf("project")).toBeLessThan(order.indexOf("task"));
    expect(order.indexOf("task")).toBeLessThan(order.indexOf("comment"));
    expect(model.byName.get("task")).toBe(model.ordered[order.indexOf("task")]);
  });

  it("accept the key as a column rule: a row is its own scope, and children inherit it", () => {
    const member = sqliteTable("member", {
      id: integer("id").primaryKey({ autoIncrement: true }),
      teamId: integer("team_id")
        .notNull()
        .references(() => team.id),
    });
    const model = defineSyncModel(
      { member, team },
      { scopes: { team: { column: "id" }, member: { parent: "team_id" } } },
    );
    const info = model.byName.get("team");
    expect(info?.scope).toEqual({ kind: "column", column: info?.key });
  });

  it("accept a column rule on a foreign key to a global table", () => {
    const scoped = defineSyncModel(
      { task, project, tag },
      { scopes: { task: { column: "tag_id" } } },
    );
    expect(scoped.byName.get("task")?.scope.kind).toBe("column");
  });

  it("refuse a rule for a table that is not in the model (and type-check the keys)", () => {
    // @ts-expect-error: keys are the property names of the tables
    expect(refusal({ project }, { projects: { column: "team_id" } })).toBe(
      'scopes.projects: no table "projects" in the model. Rules are keyed by the property names of the tables object: project.',
    );
  });

  it("refuse a column that does not exist, with the SQL name when given the property", () => {
    expect(refusal({ project }, { project: { column: "teamId" } })).toBe(
      'project.teamId: the scope rule { column: "teamId" } names no column of project. Rules name SQL columns: use "team_id" (the SQL name of teamId).',
    );
    expect(refusal({ project }, { project: { column: "team" } })).toBe(
      'project.team: the scope rule { column: "team" } names no column of project. Its columns: id, team_id, owner, budget, name.',
    );
    expect(refusal(threeLevels, { ...threeLevelScopes, task: { parent: "project" } })).toMatch(
      /^task\.project: the scope rule \{ parent: "project" \} names no column of task\./,
    );
  });

  it("refuse a rule that is neither one column nor one parent", () => {
    const both = { column: "team_id", parent: "team_id" } as unknown as { column: string };
    expect(refusal({ project }, { project: both })).toBe(
      'project: a scope rule is { column: "<SQL column>" } or { parent: "<foreign-key column>" }, exactly one of them',
    );
    expect(refusal({ project }, { project: {} as { column: string } })).toMatch(/exactly one/);
  });

  it("refuse a column rule on a nullable or a real column", () => {
    expect(refusal({ project }, { project: { column: "owner" } })).toBe(
      "project.owner may be null, and a row without a scope could be read by no device: make owner NOT NULL to scope project by it.",
    );
    expect(refusal({ project }, { project: { column: "budget" } })).toBe(
      "project.budget is real: a scope column must be integer or text. Scope project by another column.",
    );
  });

  it("refuse a parent rule on a column that is not a foreign key", () => {
    expect(refusal(threeLevels, { ...threeLevelScopes, task: { parent: "title" } })).toBe(
      'task.title is not a foreign key: task can inherit its scope only through a foreign key to a synced table. Use { column: "title" } to scope task by its value.',
    );
  });

  it("refuse a parent rule on a nullable foreign key", () => {
    const note = sqliteTable("note", {
      id: text("id").primaryKey(),
      projectId: integer("project_id").references(() => project.id),
    });
    expect(
      refusal(
        { note, project },
        { project: { column: "team_id" }, note: { parent: "project_id" } },
      ),
    ).toBe(
      "note.project_id may be null, and a note without a project would have no scope to inherit: make project_id NOT NULL to inherit project's scope through it.",
    );
  });

  it("refuse a parent rule to a global table", () => {
    expect(refusal(threeLevels, { ...threeLevelScopes, task: { parent: "tag_id" } })).toBe(
      "task.tag_id references tag, which is global: task has no scope to inherit through tag_id. Give tag a scope rule, or drop task's rule (its rows are then global).",
    );
  });

  it("refuse an inheritance cycle", () => {
    const a = sqliteTable("a", {
      id: text("id").primaryKey(),
      bId: text("b_id")
        .notNull()
        .references((): AnySQLiteColumn => b.id),
    });
    const b = sqliteTable("b", {
      id: text("id").primaryKey(),
      aId: text("a_id")
        .notNull()
        .references((): AnySQLiteColumn => a.id),
    });
    expect(refusal({ a, b }, { a: { parent: "b_id" }, b: { parent: "a_id" } })).toBe(
      "scope cycle: a.b_id → b, b.a_id → a: following parents must end at a table scoped by a { column } rule. Give one of these tables a { column } rule instead of its { parent } rule.",
    );
    const item = sqliteTable("item", {
      id: text("id").primaryKey(),
      parentId: text("parent_id")
        .notNull()
        .references((): AnySQLiteColumn => item.id),
    });
    expect(refusal({ item }, { item: { parent: "parent_id" } })).toMatch(
      /^scope cycle: item\.parent_id → item: /,
    );
  });

  it("refuse a global table that references a scoped one", () => {
    expect(refusal(threeLevels, { project: { column: "team_id" } })).toBe(
      'task.project_id references project, whose rows are scoped: a device could read a task but not its project. Give task { parent: "project_id" }, or make project global.',
    );
  });

  it("refuse a table scoped otherwise than through its reference to a scoped table", () => {
    // Even a column rule on the foreign key itself: the table must inherit, directly.
    expect(refusal(threeLevels, { ...threeLevelScopes, task: { column: "project_id" } })).toBe(
      'task.project_id references project, whose rows are scoped: a device could read a task but not its project. Give task { parent: "project_id" }, or make project global.',
    );
    expect(refusal(threeLevels, { ...threeLevelScopes, task: { column: "title" } })).toMatch(
      /^task\.project_id references project, whose rows are scoped/,
    );
  });

  it("say a nullable reference to a scoped table must become NOT NULL to inherit through it", () => {
    const note = sqliteTable("note", {
      id: text("id").primaryKey(),
      projectId: integer("project_id").references(() => project.id),
    });
    expect(refusal({ note, project }, { project: { column: "team_id" } })).toBe(
      'note.project_id references project, whose rows are scoped: a device could read a note but not its project. Give note { parent: "project_id" } (and make project_id NOT NULL), or make project global.',
    );
  });

  it("refuse a table with two references to scoped tables", () => {
    const person = sqliteTable("person", {
      id: integer("id").primaryKey({ autoIncrement: true }),
      teamId: integer("team_id").notNull(),
    });
    const assignment = sqliteTable("assignment", {
      id: integer("id").primaryKey({ autoIncrement: true }),
      taskId: integer("task_id")
        .notNull()
        .references(() => task.id),
      personId: integer("person_id")
        .notNull()
        .references(() => person.id),
    });
    expect(
      refusal(
        { ...threeLevels, person, assignment },
        {
          ...threeLevelScopes,
          person: { column: "team_id" },
          assignment: { parent: "task_id" },
        },
      ),
    ).toBe(
      "assignment.task_id and assignment.person_id reference task and person, whose rows are scoped: an assignment can inherit its scope through only one foreign key, so a device could read an assignment but not one of its parents. Make all but one of task and person global, or drop the other references.",
    );
  });
});
