/** Where `npm start` was asked to listen, for the messages of a failed start. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A Node system error's code, if `error` has one. */
function systemCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/**
 * The one line `npm start` prints when the server cannot start: a setting it refused (the
 * message names the variable and the value), or an address it cannot listen on, with what to do.
 * The stack is left out: the person who reads it runs the server, and the line says what to change.
 */
export function startFailureMessage(error: unknown, address: ListenAddress): string {
  const where = `${address.host}:${address.port}`;
  switch (systemCode(error)) {
    case "EADDRINUSE":
      return `sync server did not start: ${where} is already in use (another server runs there?); set PORT to another port, or PORT=0 for a free one`;
    case "EACCES":
      return `sync server did not start: no permission to listen on ${where}; set PORT to a port above 1023`;
    case "EADDRNOTAVAIL":
      return `sync server did not start: ${address.host} is not an address of this machine; set HOST to one of its addresses`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `sync server did not start: ${message}`;
    }
  }
}
