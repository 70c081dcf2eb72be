import { createGraphQLError, type Plugin } from "graphql-yoga";

/** How deep brackets may nest in a document; a syncBatch written out by hand needs about 8. */
export const maxDocumentNesting = 64;

/**
 * The deepest nesting of `{`, `[` and `(` in a GraphQL document's text, outside strings and
 * comments; stops counting once `limit` is passed.
 */
export function documentNesting(source: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source.charCodeAt(i);
    if (char === 0x22 /* " */) {
      i = skipString(source, i);
    } else if (char === 0x23 /* # */) {
      const end = source.indexOf("\n", i);
      i = end === -1 ? source.length : end;
    } else if (char === 0x7b || char === 0x5b || char === 0x28 /* { [ ( */) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (char === 0x7d || char === 0x5d || char === 0x29 /* } ] ) */) {
      depth -= 1;
    }
  }
  return deepest;
}

/** The index of the closing quote of the string (or block string) opening at `start`. */
function skipString(source: string, start: number): number {
  if (source.startsWith('"""', start)) {
    for (let i = start + 3; i < source.length; i++) {
      if (source.startsWith('\\"""', i)) i += 3;
      else if (source.startsWith('"""', i)) return i + 2;
    }
    return source.length;
  }
  for (let i = start + 1; i < source.length; i++) {
    const char = source.charCodeAt(i);
    if (char === 0x5c /* \ */) i += 1;
    else if (char === 0x22 || char === 0x0a) return i;
  }
  return source.length;
}

/**
 * Refuses a document nested deeper than {@link maxDocumentNesting} before it is parsed, with HTTP
 * 400: graphql-js's parser is recursive, and a literal nested some thousand levels overflows its
 * stack (an unexpected error, and a stack trace in the log for each such request).
 */
export function useNestingLimit(limit = maxDocumentNesting): Plugin {
  return {
    onParse({ params }) {
      const source = typeof params.source === "string" ? params.source : params.source.body;
      if (documentNesting(source, limit) > limit) {
        throw createGraphQLError(
          `The document nests brackets deeper than ${limit} levels; the server accepts at most ${limit}`,
          { extensions: { code: "BAD_REQUEST", http: { status: 400 } } },
        );
      }
    },
  };
}
