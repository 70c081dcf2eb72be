import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { defaultFakeLimits } from "./fake-sync-server.ts";

/** A `syncChanges` request as the fake server reads it. */
export interface ChangesRequest {
  readonly clientId: string;
  readonly cursor: string | null;
  readonly limit?: number;
}

/** A change as the fake server sends it. */
export interface FakeChange {
  readonly table: string;
  readonly key: string;
  readonly kind: "UPSERT" | "DELETE";
  readonly version: number;
  readonly data: Record<string, unknown> | null;
}

/** A page of changes, or a whole-request GraphQL error with its code. */
export type FakePage =
  | {
      readonly changes: readonly FakeChange[];
      readonly cursor: string;
      readonly hasMore: boolean;
      readonly reset?: string | null;
      /**
       * Default, as the server says it: a page for a null cursor, or a page with a reset for a
       * cursor that no page with a reset gave (a new snapshot, not one continued).
       */
      readonly snapshotStart?: boolean;
    }
  | { readonly error: string };

/** A stand-in for the sync server's receive side, paging as a test tells it. */
export interface FakeChangesServer {
  readonly endpoint: string;
  /** The `syncChanges` requests received so far, in order. */
  readonly requests: readonly ChangesRequest[];
  close(): Promise<void>;
}

/** An UPSERT of a `customer` row. */
export const customerUpsert = (id: number, name: string, version = 1): FakeChange => ({
  table: "customer",
  key: String(id),
  kind: "UPSERT",
  version,
  data: { name, email: null },
});

/**
 * Starts a server on 127.0.0.1 that answers `syncLimits` with the defaults, `syncChanges` with what
 * `page` makes of the request, and `syncBatch` by applying every operation (no mappings, versions
 * from 1), for tests that send no inserts into autonumbered tables.
 */
export async function startFakeChangesServer(
  page: (request: ChangesRequest) => FakePage,
): Promise<FakeChangesServer> {
  const requests: ChangesRequest[] = [];
  /** The cursors the pages of a snapshot gave: a page asked with one of them continues it. */
  const snapshotCursors = new Set<string>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as {
      query?: string;
      variables?: { input?: Record<string, unknown> };
    };
    const send = (json: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    const input = body.variables?.input ?? {};
    if (body.query?.includes("syncLimits")) {
      send({ data: { syncLimits: defaultFakeLimits } });
    } else if (body.query?.includes("syncChanges")) {
      const request = input as unknown as ChangesRequest;
      requests.push(request);
      const made = page(request);
      if ("error" in made) {
        send({ data: null, errors: [{ message: made.error, extensions: { code: made.error } }] });
      } else {
        const reset = made.reset ?? null;
        const snapshotStart =
          made.snapshotStart ??
          (request.cursor === null || (reset !== null && !snapshotCursors.has(request.cursor)));
        if (reset !== null && made.hasMore) snapshotCursors.add(made.cursor);
        send({ data: { syncChanges: { ...made, reset, snapshotStart } } });
      }
    } else {
      const operations = (input.operations ?? []) as Array<{ eventId: string }>;
      send({
        data: {
          syncBatch: {
            batchId: input.batchId,
            replayed: false,
            results: operations.map((op) => ({
              eventId: op.eventId,
              status: "APPLIED",
              error: null,
              version: 1,
            })),
            keyMappings: [],
          },
        },
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
