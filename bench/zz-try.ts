import { tempDir } from "../test-utils/temp-dir.ts";
import { storesScenario } from "./postgres-run.ts";
import { warmUpTemplates } from "./warm-up-server.ts";

const dir = tempDir("sync-try-");
const t00 = performance.now();
const orig = console.error;
console.error = (...a: unknown[]) => orig(((performance.now() - t00) / 1000).toFixed(1), ...a);
const [devices, customers, rounds, full] = process.argv.slice(2).map(Number);
try {
  const warmUp = await warmUpTemplates(
    dir.path,
    full ? { locations: 20_000, customers: 1_000 } : { locations: 5_000, customers: 300 },
  );
  console.error("templates ready");
  const target = await storesScenario(
    {
      dir: dir.path,
      devices: devices ?? 40,
      customers: customers ?? 50,
      batchOperations: 100,
      rounds: rounds ?? 1,
      warmUpRound: Boolean(full),
      warmUp,
    },
    (key, label, f, unit) =>
      console.log(
        label,
        f.median.toFixed(2),
        `(${f.min.toFixed(2)}–${f.max.toFixed(2)})`,
        unit,
        key,
      ),
  );
  console.log(target, ((performance.now() - t00) / 1000).toFixed(1), "s");
} finally {
  dir.remove();
}
