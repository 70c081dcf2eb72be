import type { GraphQLError } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import type { Identity } from "./authenticate.ts";
import type { ClientBinding, SyncStore, SyncStoreTransaction } from "./store/sync-store.ts";

const refusals: Record<Exclude<ClientBinding, "bound">, string> = {
  taken: "belongs to another subject",
  revoked: "was revoked",
  "over-quota": "would be one more clientId than this subject may hold",
};

/** The FORBIDDEN refusal of a clientId, the same whether the binding was written or read. */
function refusal(clientId: string, binding: Exclude<ClientBinding, "bound">): GraphQLError {
  return createGraphQLError(`clientId ${JSON.stringify(clientId)} ${refusals[binding]}`, {
    extensions: { code: "FORBIDDEN" },
  });
}

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
  throw refusal(clientId, binding);
}

/**
 * Reads the request's clientId's binding, without a write transaction: true when it is bound to
 * this subject already, false when it is not bound yet (its first use: bind it with
 * {@link bindClientOrRefuse} in a write transaction, which decides again). Refuses with the same
 * FORBIDDEN as {@link bindClientOrRefuse} a clientId bound to another subject or revoked. Run it
 * before anything is read for the client.
 */
export async function clientBoundOrRefuse(
  store: Pick<SyncStore, "findClientBinding">,
  clientId: string,
  identity: Identity,
): Promise<boolean> {
  const binding = await store.findClientBinding(clientId, identity.subject);
  if (binding === undefined) return false;
  if (binding === "bound") return true;
  throw refusal(clientId, binding);
}
