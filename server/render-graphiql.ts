import type { GraphiQLOptions } from "graphql-yoga";

/**
 * GraphiQL served from the installed packages, for yoga's `renderGraphiQL` option. Yoga's own page
 * loads its scripts and styles from a CDN, so without the internet it shows only "Loading...".
 * `@graphql-yoga/render-graphiql` (the version of graphql-yoga) inlines the bundle, its styles and
 * its editor workers into the HTML: the page requests nothing but the GraphQL endpoint.
 *
 * The bundle is about 9 MB of JavaScript text: it is loaded on the first GET of the page, not when
 * the server starts, and the page is kept for the last options seen (a server's are fixed).
 */
export function renderGraphiQL(options: GraphiQLOptions): Promise<string> {
  const key = JSON.stringify(options);
  if (last?.key !== key) {
    const page = import("@graphql-yoga/render-graphiql").then((module) =>
      module.renderGraphiQL(options),
    );
    const entry = { key, page };
    // A failed load is not kept: the next request tries again.
    page.catch(() => {
      if (last === entry) last = undefined;
    });
    last = entry;
  }
  return last.page;
}

let last: { readonly key: string; readonly page: Promise<string> } | undefined;
