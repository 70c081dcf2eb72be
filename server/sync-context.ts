import type { YogaInitialContext } from "graphql-yoga";
import type { Identity } from "./authenticate.ts";

/** The context every resolver gets: Yoga's own (the request), and what a request records. */
export type SyncContext = YogaInitialContext & {
  /**
   * Set by `syncBatch` only once the batch's transaction committed, or when the answer is the
   * stored one of a batch that committed earlier; never for a refused or failed request.
   * `useCommitSignal` tells it to the client in a response header.
   */
  committedBatchId?: string | undefined;
  /** How many `syncChanges` pages the request read (aliased fields read one each). */
  pagesRead?: number | undefined;
  /** The cursor of the last page read, when it said `hasMore`: `useNextCursor` tells it early. */
  nextCursor?: string | undefined;
  /** Who the request's verified token says sent it; undefined in open mode. */
  identity?: Identity | undefined;
};
