import type { Plugin } from "graphql-yoga";
import { type Authenticate, AuthenticationError, type Identity } from "./authenticate.ts";
import type { SyncContext } from "./sync-context.ts";

/** The identity of each request that proved one, until its context is built. */
const identities = new WeakMap<Request, Identity>();

/** GraphiQL's page itself (a browser's GET of HTML, with no operation) carries no data. */
function isGraphiqlPage(request: Request, url: URL): boolean {
  return (
    request.method === "GET" &&
    !url.searchParams.has("query") &&
    (request.headers.get("accept") ?? "").includes("text/html")
  );
}

/** The 401 answer: a GraphQL error body, as every refusal of the API is. */
function unauthenticated(message: string): Response {
  return new Response(
    JSON.stringify({ errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] }),
    {
      status: 401,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "www-authenticate": 'Bearer realm="checkpoint-sync"',
      },
    },
  );
}

/**
 * Verifies every request's token before its body is read (`onRequest`), answering HTTP 401
 * `UNAUTHENTICATED` when it is missing or not valid; the verified identity is the context's
 * `identity`. Without `authenticate` (open mode) every request passes, with no identity.
 */
export function useAuthentication(authenticate: Authenticate | undefined): Plugin<SyncContext> {
  return {
    async onRequest({ request, url, endResponse }) {
      if (!authenticate || isGraphiqlPage(request, url)) return;
      try {
        identities.set(request, await authenticate(request));
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        endResponse(unauthenticated(`${error.message}: send Authorization: Bearer <a valid JWT>`));
      }
    },
    onContextBuilding({ context, extendContext }) {
      const identity = identities.get(context.request);
      if (identity) extendContext({ identity });
    },
  };
}
