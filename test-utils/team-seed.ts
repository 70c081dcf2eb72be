import { expect } from "vitest";
import { insert } from "./operations.ts";
import { brief, sendBatch, type WireChange } from "./receive.ts";
import type { TestServer } from "./test-server.ts";

// A small seed of the team model for tests of read scopes, and the changes each team's devices
// receive of it, as `[table, key, kind, version]` tuples.

/** The keys of the seed's comments. */
export const c1 = "11111111-1111-4111-8111-111111111111";
export const c2 = "22222222-2222-4222-8222-222222222222";
export const c3 = "33333333-3333-4333-8333-333333333333";

/**
 * Tag 1 (global); project 1 of team t1 with tasks 1 and 2 and comments c1 (task 1) and c2 (task 2);
 * project 2 of team t2 with task 3 and comment c3.
 */
export async function seedTeams(s: TestServer): Promise<void> {
  const answer = await sendBatch(s, "admin", "seed", [
    insert("tag", -1, { label: "urgent" }),
    insert("project", -1, { team_id: "t1", name: "Apollo" }),
    insert("project", -2, { team_id: "t2", name: "Gemini" }),
    insert("task", -1, { project_id: -1, tag_id: -1, title: "design" }),
    insert("task", -2, { project_id: -1, tag_id: null, title: "build" }),
    insert("task", -3, { project_id: -2, tag_id: -1, title: "launch" }),
    insert("comment", c1, { task_id: -1, body: "first" }),
    insert("comment", c2, { task_id: -2, body: "second" }),
    insert("comment", c3, { task_id: -3, body: "third" }),
  ]);
  expect(answer.results.map((r) => r.error?.code ?? r.version)).toEqual([
    1, 1, 1, 1, 1, 1, 1, 1, 1,
  ]);
  expect(answer.keyMappings.map((m) => [m.table, m.clientKey, m.serverKey])).toEqual([
    ["tag", "-1", "1"],
    ["project", "-1", "1"],
    ["project", "-2", "2"],
    ["task", "-1", "1"],
    ["task", "-2", "2"],
    ["task", "-3", "3"],
  ]);
}

/** Team t1's rows of the seed: project 1 at `version`, its tasks and comments at `taskVersion`. */
export const team1 = (version: number, kind = "UPSERT", taskVersion = 1) => [
  ["comment", c1, kind, taskVersion],
  ["comment", c2, kind, taskVersion],
  ["project", "1", kind, version],
  ["task", "1", kind, taskVersion],
  ["task", "2", kind, taskVersion],
];
/** Team t2's rows of the seed: project 2 at `version`, its task and comment at 1. */
export const team2 = (version: number, kind = "UPSERT") => [
  ["comment", c3, kind, 1],
  ["project", "2", kind, version],
  ["task", "3", kind, 1],
];
/** The seed's global row. */
export const tagRow = ["tag", "1", "UPSERT", 1];

/** Changes as `[table, key, kind, version]`, sorted by table then key. */
export const sorted = (changes: readonly WireChange[]) =>
  changes.map(brief).toSorted((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));

/** Sorts tuples like {@link sorted}. */
export const order = (rows: unknown[][]) =>
  rows.toSorted((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));
