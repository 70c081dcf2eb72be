import type { ScopeGrant } from "../server/scope-grant.ts";
import { teamModel, teamTablesSql } from "./team-model.ts";
import { startTestServer, type TestServer, type TestServerOptions } from "./test-server.ts";

// A test server of the team model whose read scopes a test sets device by device, between calls.

/** Read scopes by clientId; a device not listed reads everything. Tests change it between calls. */
export const grants: Record<string, ScopeGrant["read"]> = {};

/** Replaces every grant with `next`. */
export function setGrants(next: Record<string, ScopeGrant["read"]>): void {
  for (const clientId of Object.keys(grants)) delete grants[clientId];
  Object.assign(grants, next);
}

const scopes = ({ clientId }: { clientId: string }): ScopeGrant => ({
  read: grants[clientId] ?? "all",
  write: "all",
});

let server: TestServer | undefined;

/** Starts the team model's server with {@link grants} as its read scopes (`options` override). */
export async function startScopedServer(options: TestServerOptions = {}): Promise<TestServer> {
  server = await startTestServer({ model: teamModel, tables: teamTablesSql, scopes, ...options });
  return server;
}

/** Closes the server {@link startScopedServer} started and clears the grants (for `afterEach`). */
export async function closeScopedServer(): Promise<void> {
  await server?.close();
  server = undefined;
  setGrants({});
}
