import { LRUCache } from "lru-cache";
import type { ChangePage, ChangeQuery, StoreFacts, SyncStore } from "./store/sync-store.ts";

/** Options of {@link createPageReadAhead}. */
export interface PageReadAheadOptions {
  /** Pages read ahead and kept at once (one per device paging through a run). Default 32. */
  readonly maxPages?: number;
  /** A page read ahead and not asked for within this many milliseconds is dropped. Default 5,000. */
  readonly maxAgeMs?: number;
  /**
   * Reads ahead running at once; a page that would start another is not read ahead (its request
   * reads it). Bounds the store work and connections spent on guesses. Default 4.
   */
  readonly maxReads?: number;
}

/**
 * Reads pages of changes for `syncChanges`, and the page after one that says `hasMore` ahead of
 * its request: a device paging through a run asks for it next, and the server reads it while the
 * answer before it travels and the device asks again.
 *
 * A page read ahead answers a request only when it is the very page a read now would give: its
 * query is the request's in every field (the reader's clientId, the change it starts after, the
 * snapshot floor, the read scopes, the limit), each taken from the request only after its cursor
 * was verified and its scopes computed as for any request; and the store's facts read for the
 * request are the ones read with the page (same epoch, no change handed out, no tombstone pruned
 * and no backup restored since: the same newest commit mark). Otherwise the page is read again. A
 * page is used once, kept at most `maxAgeMs`.
 */
export interface PageReadAhead {
  /**
   * The page for `query`: the one read ahead for it when the store's `facts` (read for this
   * request) are still the ones it was read with, else one read now.
   */
  read(store: SyncStore, query: ChangeQuery, facts: StoreFacts): Promise<ChangePage>;
  /** Starts reading the page for `query`, once the current request's answer is on its way. */
  readAhead(store: SyncStore, query: ChangeQuery): void;
  /** Drops every page and reads none ahead from now on (the server is closing its store). */
  close(): void;
}

/** True when nothing a page depends on changed between two reads of the store's facts. */
const sameFacts = (a: StoreFacts, b: StoreFacts): boolean =>
  a.epoch === b.epoch &&
  a.lastSeq === b.lastSeq &&
  a.prunedSeq === b.prunedSeq &&
  a.newestMark === b.newestMark;

/** A query's key: every field that decides its page (the model is the server's one). */
function keyOf(query: ChangeQuery): string {
  const scopes = query.scopes === undefined ? null : [...query.scopes].sort();
  return JSON.stringify([query.clientId, query.after, query.floor, query.limit, scopes]);
}

/** A page read ahead: its read starts in a later turn of the event loop, unless taken before. */
interface Ahead {
  read?: Promise<ChangePage>;
}

/**
 * See {@link PageReadAhead}: at most `maxPages` pages kept, none longer than `maxAgeMs`, at most
 * `maxReads` of them being read.
 */
export function createPageReadAhead({
  maxPages = 32,
  maxAgeMs = 5_000,
  maxReads = 4,
}: PageReadAheadOptions = {}): PageReadAhead {
  const pages = new LRUCache<string, Ahead>({ max: maxPages, ttl: maxAgeMs });
  let reading = 0;
  let closed = false;
  return {
    async read(store, query, facts) {
      const key = keyOf(query);
      const ahead = pages.get(key);
      pages.delete(key);
      // Asked for before its read started (or never read ahead): read now.
      if (ahead?.read === undefined) return store.readChanges(query);
      const page = await ahead.read.catch(() => undefined);
      return page && sameFacts(page.facts, facts) ? page : store.readChanges(query);
    },
    readAhead(store, query) {
      const key = keyOf(query);
      if (closed || reading >= maxReads || pages.has(key)) return;
      const ahead: Ahead = {};
      pages.set(key, ahead);
      // After the current answer is written: the read must not hold it up.
      reading += 1;
      setImmediate(() => {
        if (closed || pages.peek(key) !== ahead) {
          reading -= 1;
          return;
        }
        // A store that throws rather than rejects fails the read all the same.
        const read = (async () => store.readChanges(query))();
        ahead.read = read;
        // A failed read is read again by its request; one never asked for is never awaited.
        read
          .catch(() => {
            if (pages.peek(key) === ahead) pages.delete(key);
          })
          .finally(() => {
            reading -= 1;
          });
      });
    },
    close() {
      closed = true;
      pages.clear();
    },
  };
}
