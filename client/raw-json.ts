import { randomUUID } from "node:crypto";

/** JSON bytes held for the request bodies that name them: see {@link createRawJson}. */
export interface RawJson {
  /** A placeholder for `json` that stays valid until `release` is called. */
  hold(json: Uint8Array): { readonly marker: string; toJSON(): string };
  /** Forgets the bytes of a marker. */
  release(marker: string): void;
  /** The body in UTF-8 with each quoted marker replaced by its bytes; unchanged without one. */
  splice(body: string): string | Uint8Array<ArrayBuffer>;
}

/**
 * Lets JSON text built elsewhere (UTF-8 bytes) travel inside urql's request body unchanged. urql
 * serialises variables with its own key-sorting stringify, a second full pass over every
 * operation that the batch's JSON (built by SQLite) does not need: the variables carry a
 * placeholder whose `toJSON` is a marker, and the fetch puts the bytes in place of the quoted
 * marker.
 */
export function createRawJson(): RawJson {
  const prefix = `raw-json-${randomUUID()}-`;
  const held = new Map<string, Uint8Array>();
  let counter = 0;
  return {
    hold(json) {
      const marker = `${prefix}${counter++}`;
      held.set(marker, json);
      return { marker, toJSON: () => marker };
    },
    release(marker) {
      held.delete(marker);
    },
    splice(body) {
      const parts: Uint8Array[] = [];
      let from = 0;
      for (let start = body.indexOf(`"${prefix}`); start >= 0; ) {
        const end = body.indexOf('"', start + 1);
        const json = held.get(body.slice(start + 1, end));
        if (json === undefined) throw new Error("a request body names JSON no longer held");
        parts.push(Buffer.from(body.slice(from, start)), json);
        from = end + 1;
        start = body.indexOf(`"${prefix}`, from);
      }
      if (parts.length === 0) return body;
      parts.push(Buffer.from(body.slice(from)));
      return Buffer.concat(parts);
    },
  };
}
