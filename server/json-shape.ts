/** Bounds on the structure of a JSON text, checked before it is parsed. */
export interface JsonShapeLimits {
  /** At most this many objects and arrays in all. */
  readonly maxContainers: number;
  /** At most this many levels of objects and arrays inside one another. */
  readonly maxDepth: number;
}

/**
 * Why a JSON text exceeds `limits`, or undefined when it does not: one pass over the text,
 * outside strings, counting `{` and `[` and following their nesting; it stops at the first bound
 * passed. Parsing is what costs (JSON.parse builds millions of empty objects from a 16 MB body of
 * `{},{},…` in seconds and a gigabyte), so a body of that shape is refused before it is parsed.
 * Malformed JSON is left for JSON.parse to refuse.
 */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits): string | undefined {
  let containers = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      i = endOfString(text, i);
    } else if (char === 0x7b || char === 0x5b /* { [ */) {
      containers += 1;
      depth += 1;
      if (depth > limits.maxDepth) {
        return `objects and arrays nest deeper than ${limits.maxDepth} levels`;
      }
      if (containers > limits.maxContainers) {
        return `it holds more than ${limits.maxContainers} objects and arrays`;
      }
    } else if (char === 0x7d || char === 0x5d /* } ] */) {
      depth -= 1;
    }
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `start` (or the text's end). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote === -1) return text.length;
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}
