// Starts the sync server on a free loopback port and prints the port.
import { createHttpServer, createSyncServer } from "checkpoint-sync/server";
import { model } from "./model.js";

const [database = "file:data/server.db"] = process.argv.slice(2);
const sync = await createSyncServer({ model, database, migrationsFolder: "migrations" });
const http = createHttpServer(sync.yoga);
http.listen(0, "127.0.0.1", () => {
  const address = http.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  console.log(JSON.stringify({ port: address.port }));
});
process.on("SIGTERM", () => {
  http.close();
  void sync.close();
});
