import type { CustomConflict, CustomVerdict } from "../schema/index.ts";
import { conflictModel, conflictTablesSql } from "./conflict-model.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

// A test server of the conflict model whose custom policy a test decides, one at a time.

type Decide = (conflict: CustomConflict) => CustomVerdict | Promise<CustomVerdict>;
const acceptAll: Decide = () => ({ accept: true });

let decide: Decide = acceptAll;
/** Every conflict the `custom` table's policy was asked about, in order. */
export const seen: CustomConflict[] = [];
let server: TestServer | undefined;

/** Makes `next` the verdict of the `custom` table's policy (until the test ends). */
export function decideWith(next: Decide): void {
  decide = next;
}

/** Starts the conflict model's server; its custom policy records each conflict in {@link seen}. */
export async function startConflictServer(): Promise<TestServer> {
  server = await startTestServer({
    model: conflictModel((conflict) => {
      seen.push(conflict);
      return decide(conflict);
    }),
    tables: conflictTablesSql,
  });
  return server;
}

/**
 * Closes the server {@link startConflictServer} started, forgets what it saw and accepts again
 * (for `afterEach`).
 */
export async function closeConflictServer(): Promise<void> {
  await server?.close();
  server = undefined;
  seen.length = 0;
  decide = acceptAll;
}
