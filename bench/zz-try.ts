import { tempDir } from "../test-utils/temp-dir.ts";
import { storesScenario } from "./postgres-run.ts";
import { warmUpTemplates } from "./warm-up-server.ts";

const dir = tempDir("sync-try-");
const t00 = performance.now();
const orig = console.error;
console.error = (...a: unknown[]) => orig(((performance.now() - t00) / 1000).toFixed(1), ...a);
const [devices, customers, rounds] = process.argv.slice(2).map(Number);
try {
  const warmUp = await warmUpTemplates(dir.path, { locations: 5_000, customers: 300 });
  const t0 = performance.now();
  const target = await storesScenario(
    {
      dir: dir.path,
      devices: devices ?? 40,
      customers: customers ?? 50,
      batchOperations: 100,
      rounds: rounds ?? 1,
      warmUpRound: false,
      warmUp,
    },
    (key, label, f, unit) => console.log(label, JSON.stringify(f), unit, key),
  );
  console.log(target, ((performance.now() - t0) / 1000).toFixed(1), "s");
} finally {
  dir.remove();
}
