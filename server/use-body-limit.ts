import { createGraphQLError, type Plugin } from "graphql-yoga";

function tooLarge(maxBytes: number): Error {
  return createGraphQLError(
    `The request body is larger than the server's limit of ${maxBytes} bytes`,
    {
      extensions: { code: "BODY_TOO_LARGE", http: { status: 413 } },
    },
  );
}

async function readLimited(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await request.body?.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

/**
 * Refuses POST bodies over `maxBytes` with HTTP 413 before they are parsed, whether or not the
 * client declared a length; accepts JSON bodies only (the contract needs nothing else).
 */
export function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== "POST") return;
      setRequestParser(async (req) => {
        const type = req.headers.get("content-type") ?? "";
        if (!/^application\/(graphql-response\+)?json/i.test(type)) {
          throw createGraphQLError("Send the request as application/json", {
            extensions: { code: "UNSUPPORTED_MEDIA_TYPE", http: { status: 415 } },
          });
        }
        const text = await readLimited(req, maxBytes);
        try {
          return JSON.parse(text);
        } catch {
          throw createGraphQLError("POST body sent invalid JSON.", {
            extensions: { code: "BAD_REQUEST", http: { status: 400 } },
          });
        }
      });
    },
  };
}
