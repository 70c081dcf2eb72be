import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HeadlessChromium, hasChromium, launchChromium } from "../test-utils/chromium.ts";
import { type HttpTestServer, startHttpServer } from "../test-utils/http-server.ts";
import type { SyncBatchAnswer } from "../test-utils/test-server.ts";

// GraphiQL as a new user meets it, on a machine without the internet: Debian's Chromium opens
// /graphql, runs the ready example and sees its answer, and the page asks nothing of any host but
// the server. `npm test` installs Chromium first when it can (scripts/ensure-chromium.sh); a
// missing browser fails the test, never skips it.
/** How long the page may take to show something (it loads about 9 MB of inlined script). */
const shows = { timeout: 15_000 };

describe("GraphiQL in headless Chromium", () => {
  let server: HttpTestServer;
  let browser: HeadlessChromium;
  let page: Page;
  const requests: string[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    if (!hasChromium)
      throw new Error(
        "no /usr/bin/chromium: run scripts/ensure-chromium.sh (apt-get install -y chromium)",
      );
    server = await startHttpServer();
    const origin = new URL(server.endpoint).origin;
    // The origin of a blob: URL is that of the page that made it (GraphiQL's editor workers).
    const isLocal = (url: URL) => url.origin === origin || url.protocol === "data:";
    browser = await launchChromium({ height: 1400 });
    // Anything else is recorded and refused, so the page behaves here as on a closed network.
    await browser.context.route(
      (url) => !isLocal(url),
      (route) => route.abort("blockedbyclient"),
    );
    browser.context.on("request", (request) => {
      requests.push(request.url());
      if (!isLocal(new URL(request.url()))) foreign.push(request.url());
    });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 15_000);

  it("runs the ready example from the installed bundle, asking nothing outside 127.0.0.1", async () => {
    await page.goto(server.endpoint);
    expect(await page.title()).toBe("Checkpoint sync");
    // Yoga's default page would have asked a CDN for its scripts and styles by now.
    expect(foreign, "requests outside 127.0.0.1").toEqual([]);
    const editor = page.locator(".graphiql-query-editor");
    await expect
      .poll(() => visibleText(editor.locator(".view-lines")), shows)
      .toContain("SeedScenario");

    // The example holds two operations: the run button asks which one.
    await page.locator(".graphiql-execute-button").click();
    const answered = page.waitForResponse(
      (response) =>
        response.request().method() === "POST" &&
        (response.request().postData() ?? "").includes('"operationName":"SeedScenario"'),
    );
    await page.getByRole("menuitem", { name: "SeedScenario" }).click();
    const body = (await (await answered).json()) as { data?: { syncBatch: SyncBatchAnswer } };
    expect(body.data?.syncBatch).toMatchObject({ batchId: "graphiql-batch-1", replayed: false });
    expect(body.data?.syncBatch.keyMappings).toEqual([
      { table: "customer", clientKey: "-1", serverKey: "1" },
      { table: "invoice", clientKey: "-1", serverKey: "1" },
      { table: "invoice", clientKey: "-2", serverKey: "2" },
    ]);

    // The result pane shows that answer.
    const result = page.locator(".graphiql-response .view-lines");
    await expect.poll(() => visibleText(result), shows).toContain('"keyMappings"');
    const shown = await visibleText(result);
    expect(shown).toContain('"batchId": "graphiql-batch-1"');
    expect(shown).toContain('"replayed": false');
    expect(shown).toContain('"serverKey": "2"');

    expect(requests.some((url) => url.startsWith(server.endpoint))).toBe(true);
    expect(foreign, "requests outside 127.0.0.1").toEqual([]);
  }, 40_000);
});

/**
 * The text of a Monaco view, its rendered lines only (hence the tall window) and run together, with
 * Monaco's no-break spaces as spaces.
 */
async function visibleText(lines: ReturnType<Page["locator"]>): Promise<string> {
  return ((await lines.textContent()) ?? "").replaceAll("\u00a0", " ");
}
