import type { Plugin } from "graphql-yoga";
import type { SyncContext } from "./sync-context.ts";

/** The response header that carries the cursor of the page after this one. */
export const nextCursorHeader = "x-sync-next-cursor";

/**
 * Sets {@link nextCursorHeader} on the answer to a request whose one `syncChanges` page says
 * `hasMore` (the resolver records its cursor in `SyncContext.nextCursor`): the client can ask for
 * the next page while it still reads this one, so the server works on it meanwhile. Not set when
 * the request read no page, or more than one (aliased fields), or the page was the last. The header
 * is a hint for that only: the cursor is the one the answer holds, signed as always, and what the
 * client stages comes from the answer itself.
 */
export function useNextCursor(): Plugin<SyncContext> {
  // Keyed by the request: the execution sees it in the context, the response hook as its own.
  const cursors = new WeakMap<Request, string>();
  return {
    onExecute() {
      return {
        onExecuteDone({ args }) {
          const { nextCursor, pagesRead, request } = args.contextValue;
          if (nextCursor !== undefined && pagesRead === 1) cursors.set(request, nextCursor);
        },
      };
    },
    onResponse({ request, response }) {
      const cursor = cursors.get(request);
      if (cursor !== undefined && response.status === 200) {
        response.headers.set(nextCursorHeader, cursor);
      }
    },
  };
}
