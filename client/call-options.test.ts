import { describe, expect, it } from "vitest";
import { type ExampleTables, exampleTables as t } from "../schema/index.ts";
import { count, sendFixtures } from "../test-utils/send-fixtures.ts";
import { createSyncClient, type SyncClient } from "./index.ts";
import { ReceiveError, SendError } from "./sync-client-error.ts";

// The options of send(), receive(), sync() and startAutoSync() are checked before the call does
// anything: a JavaScript app has no compiler to catch a misspelt option or one of the wrong kind.

const fixtures = sendFixtures();

/** Calls `call` with `options` as an app without types could, and answers its error. */
const failureOf = async (call: (options: unknown) => Promise<unknown>, options: unknown) =>
  call(options).then(
    () => undefined,
    (error: unknown) => error,
  );

type Call = (client: SyncClient<ExampleTables>) => (options: unknown) => Promise<unknown>;
const receive: Call = (client) => (options) => client.receive(options as never);
const send: Call = (client) => (options) => client.send(options as never);
const sync: Call = (client) => (options) => client.sync(options as never);

describe("the options of a call", () => {
  it.each<[string, unknown, string, typeof SendError | typeof ReceiveError, Call]>([
    ["receive", null, "receive(): its options must be an object, got null", ReceiveError, receive],
    ["receive", "x", 'receive(): its options must be an object, got "x"', ReceiveError, receive],
    [
      "receive",
      { limt: 5 },
      'receive(): unknown option "limt" (its options are onProgress, signal, limit, fromStart)',
      ReceiveError,
      receive,
    ],
    [
      "receive",
      { limit: Number.NaN },
      'receive(): option "limit" must be a positive integer, got NaN',
      ReceiveError,
      receive,
    ],
    [
      "receive",
      { limit: Number.POSITIVE_INFINITY },
      'receive(): option "limit" must be a positive integer, got Infinity',
      ReceiveError,
      receive,
    ],
    [
      "receive",
      { fromStart: "yes" },
      'receive(): option "fromStart" must be true or false, got "yes"',
      ReceiveError,
      receive,
    ],
    [
      "receive",
      { onProgress: 5 },
      'receive(): option "onProgress" must be a function, got 5',
      ReceiveError,
      receive,
    ],
    [
      "receive",
      { signal: {} },
      'receive(): option "signal" must be an AbortSignal, got an object',
      ReceiveError,
      receive,
    ],
    ["send", null, "send(): its options must be an object, got null", SendError, send],
    [
      "send",
      { onProgress: "x" },
      'send(): option "onProgress" must be a function, got "x"',
      SendError,
      send,
    ],
    [
      "send",
      { signal: 1 },
      'send(): option "signal" must be an AbortSignal, got 1',
      SendError,
      send,
    ],
    ["sync", null, "sync(): its options must be an object, got null", SendError, sync],
    [
      "sync",
      { signal: 1 },
      'sync(): option "signal" must be an AbortSignal, got 1',
      SendError,
      sync,
    ],
    [
      "sync",
      { send: { signal: new AbortController().signal } },
      'sync(): unknown option "send.signal" (option "send" are onProgress)',
      SendError,
      sync,
    ],
    [
      "sync",
      { receive: { limit: 0 } },
      'sync(): option "receive.limit" must be a positive integer, got 0',
      ReceiveError,
      sync,
    ],
    [
      "sync",
      { receive: [] },
      'sync(): option "receive" must be an object, got an array',
      ReceiveError,
      sync,
    ],
  ])("%s(%j) fails at once with INVALID_OPTION", async (_name, options, message, type, call) => {
    const { server, device } = await fixtures.setup();
    await device.client.insert(t.customer, { name: "pending" });
    const error = await failureOf(call(device.client), options);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code: "INVALID_OPTION", message });
    // Its report: a send's or a receive's that did nothing.
    expect((error as SendError | ReceiveError).report).toMatchObject(
      type === SendError ? { batches: 0, applied: 0 } : { pages: 0, applied: 0 },
    );
    // Nothing was sent nor received: the write is still pending, the server has no row.
    expect(await device.client.events({ status: "pending" })).toHaveLength(1);
    expect(await count(server.rows, "customer")).toBe(0);
    expect(await device.client.send()).toMatchObject({ applied: 1 });
  });

  it("startAutoSync() refuses callbacks that are not functions, unknown options and NaN delays", async () => {
    const { device } = await fixtures.setup();
    const start = (options: unknown) => () => device.client.startAutoSync(options as never);
    for (const [options, message] of [
      [
        { intervalMs: 1000, debounceMs: 1, onError: 5 },
        'startAutoSync(): option "onError" must be a function, got 5',
      ],
      [
        { intervalMs: 1000, debounceMs: 1, onSync: "x" },
        'startAutoSync(): option "onSync" must be a function, got "x"',
      ],
      [
        { intervalMs: 1000, debounceMs: 1, interval: 5 },
        'startAutoSync(): unknown option "interval" (its options are intervalMs, debounceMs, maxBackoffMs, onSync, onError)',
      ],
      [
        { intervalMs: Number.NaN, debounceMs: 1 },
        'startAutoSync(): option "intervalMs" must be an integer from 1 to 2147483647 (milliseconds), got NaN',
      ],
    ] as const) {
      expect(start(options)).toThrow(expect.objectContaining({ code: "INVALID_OPTION", message }));
    }
  });

  it("createSyncClient() refuses retry options that are not an object, and an in-memory database", async () => {
    const endpoint = "http://127.0.0.1:1/graphql";
    await expect(
      createSyncClient({ database: "file:x.db", endpoint, retry: "x" as never }),
    ).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: 'createSyncClient: option "retry" must be an object of retry options, got "x"',
    });
    await expect(createSyncClient({ database: ":memory:", endpoint })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message:
        'createSyncClient: option "database" must be a libSQL file URL such as "file:data/device.db", got ":memory:"',
    });
  });
});
