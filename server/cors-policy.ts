import type { CORSOptions } from "graphql-yoga";
import { commitHeader } from "./use-commit-signal.ts";
import { nextCursorHeader } from "./use-next-cursor.ts";

/**
 * The CORS policy of the endpoint: web pages from the listed origins may call it (GET and POST,
 * any request header); every other origin gets no CORS header at all, so a browser keeps foreign
 * pages from reading answers and from sending the JSON POST (which needs a preflight). `"*"` lets
 * every origin in. Credentials (cookies, HTTP authentication) are never allowed: the API needs
 * none, and an echoed origin with credentials would let any page act as the user.
 *
 * @throws TypeError when an entry is not an origin (`https://app.example:8443`: a scheme, a host,
 * an optional port, nothing else).
 */
export function corsPolicy(origins: readonly string[]): (request: Request) => CORSOptions {
  const allowed = new Set<string>();
  for (const [index, origin] of origins.entries()) {
    if (origin !== "*" && !isOrigin(origin)) {
      throw new TypeError(
        `corsOrigins[${index}] must be an origin such as https://app.example (scheme, host and port only), or "*"; got ${JSON.stringify(origin)}`,
      );
    }
    allowed.add(origin);
  }
  const any = allowed.has("*");
  return (request) => {
    const origin = request.headers.get("origin");
    if (origin === null || !(any || allowed.has(origin))) return false;
    return {
      origin: [origin],
      methods: ["GET", "POST"],
      // The hints a browser client reads to post its next batch, or ask its next page, early.
      exposedHeaders: [commitHeader, nextCursorHeader],
      credentials: false,
      maxAge: 600,
    };
  };
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === text;
  } catch {
    return false;
  }
}
