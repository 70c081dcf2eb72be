import { createGraphQLError } from "graphql-yoga";
import type { SyncModel } from "../schema/index.ts";
import type { Identity } from "./authenticate.ts";
import { type CursorState, type ResetReason, readCursor, signCursor } from "./change-cursor.ts";
import { checkId } from "./check-batch-input.ts";
import { bindClientOrRefuse, clientBoundOrRefuse } from "./client-binding.ts";
import type { SyncChangesInput, SyncChangesResult } from "./generated/resolvers-types.ts";
import type { SyncLimits } from "./limits.ts";
import type { PageReadAhead } from "./page-read-ahead.ts";
import { type RateLimits, rateLimited, takeRequestOrRefuse } from "./rate-limits.ts";
import { readScopes, type ScopesOf, scopesDigest } from "./scope-grant.ts";
import type { ChangeQuery, StoreFacts, SyncStore } from "./store/sync-store.ts";

/** What answering `syncChanges` needs. */
export interface SyncChangesOptions {
  readonly model: SyncModel;
  readonly store: SyncStore;
  readonly limits: SyncLimits;
  readonly scopesOf: ScopesOf;
  /** Signs cursors instead of the store's own secret (kept when the store is replaced). */
  readonly cursorSecret?: string | undefined;
  /** How many clientIds one token subject may hold. */
  readonly maxClientsPerSubject?: number | undefined;
  /** Request rates per clientId and per subject; none when undefined. */
  readonly rateLimits?: RateLimits | undefined;
  /** Reads the page after one that says `hasMore` ahead of its request; none: each page when asked. */
  readonly pageReadAhead?: PageReadAhead | undefined;
}

/** Where a page starts: after which change, leaving out which tombstones, and why (a reset). */
interface PageStart {
  /** A new snapshot starts here (not one continued from the cursor). */
  readonly fresh: boolean;
  readonly after: number;
  readonly snapshot: NonNullable<CursorState["snapshot"]> | null;
}

/** The page size asked for, clamped to the limit; BAD_USER_INPUT below one. */
function pageLimit(limit: number | null | undefined, max: number): number {
  if (limit === null || limit === undefined) return max;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw createGraphQLError(`input.limit must be 1 or more, got ${limit}`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  return Math.min(limit, max);
}

/** Why this cursor cannot go on from where it is, if it cannot (SYNC.md, "Receive" 4). */
function resetReason(
  cursor: CursorState,
  facts: StoreFacts,
  scopes: string,
  mark: string,
): ResetReason | null {
  // A restored store has handed out fewer changes than the cursor passed, or other ones since.
  if (cursor.epoch !== facts.epoch || cursor.seq > facts.lastSeq) return "STORE_CHANGED";
  // Its mark pruned (a cursor older than the retention): the changes since cannot be trusted.
  if (mark === "" && cursor.mark !== "") return "CURSOR_EXPIRED";
  if (mark !== cursor.mark) return "STORE_CHANGED";
  if (cursor.scopes !== scopes) return "SCOPE_CHANGED";
  // A tombstone above the cursor (and above a running snapshot's floor) is gone.
  if (facts.prunedSeq > cursor.seq && facts.prunedSeq > (cursor.snapshot?.floor ?? 0))
    return "CURSOR_EXPIRED";
  return null;
}

/** Where the page of a request starts, from its cursor (none: a first snapshot). */
async function pageStart(
  store: SyncStore,
  input: SyncChangesInput,
  facts: StoreFacts,
  scopes: string,
  secret: string,
): Promise<PageStart> {
  if (input.cursor === null || input.cursor === undefined) {
    return { fresh: true, after: 0, snapshot: { floor: facts.lastSeq, reason: null } };
  }
  const cursor = readCursor(secret, input.cursor, input.clientId);
  if (!cursor) {
    throw createGraphQLError(
      `input.cursor is not a cursor this server gave client ${input.clientId}; receive from the start (cursor null)`,
      { extensions: { code: "INVALID_CURSOR" } },
    );
  }
  const reason = resetReason(cursor, facts, scopes, await store.commitMark(cursor.seq));
  if (reason) return { fresh: true, after: 0, snapshot: { floor: facts.lastSeq, reason } };
  return { fresh: false, after: cursor.seq, snapshot: cursor.snapshot };
}

/**
 * Answers `syncChanges`: the changes of the rows in the device's read scopes after its cursor, in
 * change-sequence order, each row once at its latest change, and the signed cursor of the page.
 */
export async function syncChanges(
  options: SyncChangesOptions,
  input: SyncChangesInput,
  request: Request,
  identity?: Identity,
): Promise<SyncChangesResult> {
  const { model, store, limits, scopesOf } = options;
  checkId("input.clientId", input.clientId);
  const limit = pageLimit(input.limit, limits.maxChangesPerPage);
  const rated = rateLimited(options.rateLimits, identity);
  // A clientId bound before, with no rate token to take, needs only a read of its binding: a
  // device paging through a long run opens no write transaction per page (on libSQL they would
  // queue behind syncBatch's). Its first use (the binding to write) and a request that takes a
  // rate token write both in one transaction; none when neither applies (open mode).
  const bound =
    identity !== undefined &&
    !rated &&
    (await clientBoundOrRefuse(store, input.clientId, identity));
  if (!bound && (identity || rated)) {
    const most = options.maxClientsPerSubject ?? 16;
    await store.writeTransaction(async (tx) => {
      await bindClientOrRefuse(tx, input.clientId, identity, most);
      await takeRequestOrRefuse(tx, options.rateLimits, input.clientId, identity);
    });
  }
  const scopes = readScopes(await scopesOf({ clientId: input.clientId, request, identity }));
  const digest = scopesDigest(scopes);
  const facts = await store.facts();
  const secret = options.cursorSecret ?? facts.cursorSecret;
  const start = await pageStart(store, input, facts, digest, secret);
  const query: ChangeQuery = {
    model,
    after: start.after,
    floor: start.snapshot?.floor ?? 0,
    scopes,
    clientId: input.clientId,
    limit,
  };
  const ahead = options.pageReadAhead;
  const page = await (ahead ? ahead.read(store, query, facts) : store.readChanges(query));
  const last = page.changes[page.changes.length - 1]?.seq ?? start.after;
  // A finished run has seen every change up to the store's newest, in its scopes or not.
  const seq = page.hasMore ? last : Math.max(last, page.facts.lastSeq);
  const cursor: CursorState = {
    clientId: input.clientId,
    seq,
    epoch: page.facts.epoch,
    mark: await store.commitMark(seq),
    scopes: digest,
    snapshot: page.hasMore ? start.snapshot : null,
  };
  // The request's own reads are done: the next page's read takes nothing from them.
  if (ahead && page.hasMore) ahead.readAhead(store, { ...query, after: last });
  return {
    changes: page.changes.map((change) => ({
      table: change.table,
      key: change.key,
      kind: change.data === null ? "DELETE" : "UPSERT",
      version: change.version,
      data: change.data,
    })),
    cursor: signCursor(secret, cursor),
    hasMore: page.hasMore,
    snapshotStart: start.fresh,
    reset: start.snapshot?.reason ?? null,
  };
}
