// Child process of scenario 9: runs `conflictRun` with the options given as JSON and prints what
// it measured as JSON, so the requests meet a fresh process, not the bench's heap and handles.
import { type ConflictRunOptions, conflictRun } from "./conflict-run.ts";

const [json] = process.argv.slice(2);
if (!json) throw new Error("usage: conflict-child <options as JSON>");
const result = await conflictRun(JSON.parse(json) as ConflictRunOptions);
process.stdout.write(`${JSON.stringify(result)}\n`);
