/**
 * The response header by which the server gives, on a page of changes that says `hasMore`, the
 * cursor of the page after it (the server's `useNextCursor`).
 */
export const nextCursorHeader = "x-sync-next-cursor";

/** Longer than any cursor the server signs; a longer header is not one of its cursors. */
const maxCursorLength = 4096;

/**
 * The next page's cursor a 200 answer names in its header, if it names one that could be a
 * cursor: a non-empty text of at most 4,096 printable ASCII characters with no comma (two headers
 * would be joined by one). Only an early read of the next page rests on it: the receive loop reads
 * on from it only when the checked page's own cursor is the same text.
 */
export function nextCursorOf(response: Response): string | undefined {
  const value = response.headers.get(nextCursorHeader);
  if (value === null || value.length === 0 || value.length > maxCursorLength) return undefined;
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(value) ? value : undefined;
}
