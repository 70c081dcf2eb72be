// `npm run build`: the package as apps install it: ESM JavaScript and declarations in dist/,
// compiled from the sources by tsc (tsconfig.build.json), tests left out.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
  stdio: "inherit",
});
