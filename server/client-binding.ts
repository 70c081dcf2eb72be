import { createGraphQLError } from "graphql-yoga";
import type { Identity } from "./authenticate.ts";
import type { ClientBinding, SyncStoreTransaction } from "./store/sync-store.ts";

const refusals: Record<Exclude<ClientBinding, "bound">, string> = {
  taken: "belongs to another subject",
  revoked: "was revoked",
  "over-quota": "would be one more clientId than this subject may hold",
};

/**
 * Binds the request's clientId to its verified subject (at its first use, durably) or refuses
 * the request whole with FORBIDDEN; in open mode (no identity) every clientId passes. Runs inside
 * the request's transaction, before anything else it reads: a replay is refused too.
 */
export async function bindClientOrRefuse(
  tx: SyncStoreTransaction,
  clientId: string,
  identity: Identity | undefined,
  maxClientsPerSubject: number,
): Promise<void> {
  if (!identity) return;
  const binding = await tx.bindClient(clientId, identity.subject, maxClientsPerSubject);
  if (binding === "bound") return;
  throw createGraphQLError(`clientId ${JSON.stringify(clientId)} ${refusals[binding]}`, {
    extensions: { code: "FORBIDDEN" },
  });
}
