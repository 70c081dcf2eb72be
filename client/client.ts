import { AsyncLocalStorage } from "node:async_hooks";
import { Mutex } from "async-mutex";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { ExampleTables, SyncModel } from "../schema/index.ts";
import { type AutoSync, type AutoSyncOptions, startAutoSync } from "./auto-sync.ts";
import { createTransport } from "./create-transport.ts";
import type { DeviceDatabase } from "./device-database.ts";
import type { DeviceReads } from "./device-reads.ts";
import { callSignal, inTurn } from "./in-turn.ts";
import { createLocalWriter, type LocalWriter } from "./local-writer.ts";
import { openDeviceDatabase } from "./open-device-database.ts";
import { type EventQuery, listEvents, type SyncEvent } from "./outbox-events.ts";
import {
  type ReceiveContext,
  type ReceiveOptions,
  type ReceiveReport,
  receive,
} from "./receive.ts";
import { receiveOptionsOf } from "./receive-report.ts";
import { removeEvent } from "./remove-event.ts";
import { resolveOptions, type SyncClientOptions } from "./resolve-options.ts";
import { retryEvent } from "./retry-event.ts";
import { type SendContext, type SendOptions, type SendReport, send } from "./send.ts";
import { sendOptionsOf } from "./send-report.ts";
import { SyncClientError } from "./sync-client-error.ts";
import { type SyncOptions, syncOptionsOf } from "./sync-options.ts";

/** What a `sync()` did: its send, then its receive. */
export interface SyncReport {
  readonly send: SendReport;
  readonly receive: ReceiveReport;
}

/** The device side of sync: typed writes captured in an outbox, `send()`, `receive()`, `sync()`. */
export interface SyncClient<TTables extends Record<string, SQLiteTable>>
  extends LocalWriter<TTables> {
  /** This device's id, stored in its database. */
  readonly clientId: string;
  /**
   * drizzle over the device database, for reads (`drizzle-orm/sqlite-proxy` over the device
   * database's `read`): committed data only. Write through the client, or the outbox misses it;
   * a write through `db` fails (`SQLITE_READONLY`).
   */
  readonly db: DeviceReads;
  /** Runs several writes (and their outbox events) in one local transaction. */
  transaction<T>(work: (writer: LocalWriter<TTables>) => Promise<T>): Promise<T>;
  /**
   * Sends the outbox, segment by segment, and applies every answer. Calls made while one runs wait
   * for it, then send what is left: two sends of one client never overlap.
   */
  send(options?: SendOptions): Promise<SendReport>;
  /**
   * Receives the server's changes in the device's read scopes and applies them: pages staged
   * durably, applied together in one local transaction, pending local writes on top. Calls made
   * while one runs wait for it; its apply waits for a send under way (and a send for it).
   */
  receive(options?: ReceiveOptions): Promise<ReceiveReport>;
  /**
   * `send()`, then `receive()`: the device's writes go up (their keys mapped) before the server's
   * changes come down. Throws the `SendError` or `ReceiveError` that stopped it.
   */
  sync(options?: SyncOptions): Promise<SyncReport>;
  /**
   * Runs `sync()` on its own: at once, `debounceMs` after local writes, every `intervalMs`, and
   * when the platform says it is online again; failed rounds back off, and a rate-limited one is
   * followed by none before its `retryAt`. Until `stop()` or `close()`.
   */
  startAutoSync(options: AutoSyncOptions<SyncReport>): AutoSync;
  /** Outbox events, oldest first. */
  events(query?: EventQuery): Promise<SyncEvent[]>;
  /** Puts a rejected event and its rejected dependents back to pending; returns their ids. */
  retryEvent(id: number): Promise<number[]>;
  /**
   * Drops an event from the outbox; returns the ids removed. Removing a rejected INSERT also
   * removes the events that depend on it (pending or rejected: none can apply) and the rows those
   * inserts made, which the server never had.
   */
  removeEvent(id: number): Promise<number[]>;
  /** Waits for running work, then closes the database. */
  close(): Promise<void>;
}

/**
 * Runs `work` with the writer of one local transaction, and writes the outbox events it recorded
 * before the commit. `inTransaction` marks the callback's context, where the client's own writes
 * are refused (they would wait for this transaction, which waits for them).
 */
function runLocalTransaction<TTables extends Record<string, SQLiteTable>, T>(
  database: DeviceDatabase,
  model: SyncModel<TTables>,
  inTransaction: AsyncLocalStorage<true>,
  work: (writer: LocalWriter<TTables>) => Promise<T>,
): Promise<T> {
  return database.transaction(async (tx) => {
    const writer = createLocalWriter(model, tx);
    try {
      const result = await inTransaction.run(true, () => work(writer));
      await writer.flush();
      return result;
    } finally {
      writer.end();
    }
  });
}

/**
 * Opens the device database (creating and migrating it), and returns the client.
 * Throws a {@link SyncClientError} `INVALID_OPTION` naming the option when one is missing or invalid.
 */
export async function createSyncClient<TTables extends Record<string, SQLiteTable> = ExampleTables>(
  options: SyncClientOptions<SyncModel<TTables>>,
): Promise<SyncClient<TTables>> {
  const resolved = resolveOptions(options);
  const { database, db, clientId } = await openDeviceDatabase(resolved);
  /** Held by a send, and by a receive while it applies: the two never interleave. */
  const sends = new Mutex();
  /** Held by a receive from its first page to its apply: receives never overlap. */
  const receives = new Mutex();
  const closing = new AbortController();
  const autoSyncs = new Set<AutoSync>();
  const writeListeners = new Set<() => void>();
  const wrote = <T>(result: T): T => {
    for (const listener of writeListeners) listener();
    return result;
  };
  const transport = createTransport(resolved);
  const model = resolved.model;
  let closed = false;
  /** Runs `work` unless the client is closed (or closing), else rejects with `ABORTED`. */
  const open = <T>(work: () => Promise<T>): Promise<T> =>
    closed ? Promise.reject(new SyncClientError("ABORTED", "the client is closed")) : work();

  /**
   * Set while a transaction's callback runs: a call of the client's own writes from there would
   * wait for the transaction, which waits for the call.
   */
  const inTransaction = new AsyncLocalStorage<true>();
  const outsideTransactions = <T>(call: string, work: () => Promise<T>): Promise<T> =>
    inTransaction.getStore()
      ? Promise.reject(
          new SyncClientError(
            "INVALID_WRITE",
            `${call} inside transaction(): use the writer its callback gets (w.insert, ...); the client's own calls wait until the transaction ends`,
          ),
        )
      : open(work);

  const write = <T>(call: string, work: (writer: LocalWriter<TTables>) => Promise<T>): Promise<T> =>
    outsideTransactions(call, () =>
      runLocalTransaction(database, model, inTransaction, work).then(wrote),
    );
  const context: SendContext = {
    database,
    model,
    clientId,
    transport,
    maxOperationsPerRequest: resolved.maxOperationsPerRequest,
  };
  const receiveContext: ReceiveContext = {
    database,
    model,
    clientId,
    transport,
    inTurnWithSends: (work, signal) => inTurn(sends, closing.signal, signal, "receive()", work),
  };
  /** Two sends of one client never overlap; a send queued behind another is cancellable. */
  const sendInTurn = (options: SendOptions) =>
    inTurn(sends, closing.signal, options.signal, "send()", () =>
      send(context, { ...options, signal: callSignal(closing.signal, options.signal) }),
    );
  const receiveInTurn = (options: ReceiveOptions) =>
    inTurn(receives, closing.signal, options.signal, "receive()", () =>
      receive(receiveContext, { ...options, signal: callSignal(closing.signal, options.signal) }),
    );
  const sync = async (options: unknown): Promise<SyncReport> => {
    const checked = syncOptionsOf(options);
    const sent = await sendInTurn(checked.send);
    const received = await receiveInTurn(checked.receive);
    return { send: sent, receive: received };
  };

  return {
    clientId,
    db,
    insert: (table, values) => write("insert()", (writer) => writer.insert(table, values)),
    update: (table, key, changes) =>
      write("update()", (writer) => writer.update(table, key, changes)),
    delete: (table, key) => write("delete()", (writer) => writer.delete(table, key)),
    setSendCheckpoint: () => write("setSendCheckpoint()", (writer) => writer.setSendCheckpoint()),
    transaction: (work) => write("transaction()", work),
    send: (options) =>
      outsideTransactions("send()", async () =>
        sendInTurn(sendOptionsOf(options, { call: "send()" })),
      ),
    receive: (options) =>
      outsideTransactions("receive()", async () =>
        receiveInTurn(receiveOptionsOf(options, { call: "receive()" })),
      ),
    sync: (options) => outsideTransactions("sync()", () => sync(options)),
    startAutoSync(autoSyncOptions) {
      if (closed) throw new SyncClientError("ABORTED", "the client is closed");
      const running = startAutoSync(
        {
          sync: () => outsideTransactions("sync()", () => sync(undefined)),
          onLocalWrite(listener) {
            writeListeners.add(listener);
            return () => writeListeners.delete(listener);
          },
        },
        autoSyncOptions,
      );
      const handle: AutoSync = {
        async stop() {
          autoSyncs.delete(handle);
          await running.stop();
        },
      };
      autoSyncs.add(handle);
      return handle;
    },
    events: (query) =>
      closed
        ? Promise.reject(new SyncClientError("ABORTED", "the client is closed"))
        : listEvents(database, query),
    retryEvent: (id) =>
      outsideTransactions("retryEvent()", () => retryEvent(database, model, id).then(wrote)),
    removeEvent: (id) =>
      outsideTransactions("removeEvent()", () => removeEvent(database, model, id)),
    async close() {
      if (closed) return;
      closed = true;
      // A send or receive under way stops at once, between batches or pages or in a backoff
      // wait, as ABORTED; an apply under way ends first.
      closing.abort(new SyncClientError("ABORTED", "the client is closed"));
      await Promise.all([...autoSyncs].map((autoSync) => autoSync.stop()));
      await receives.waitForUnlock();
      await sends.waitForUnlock();
      // Lets the writes already queued finish.
      await database.close();
      transport.close();
    },
  };
}
