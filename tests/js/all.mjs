// Runs every tests/js/*.test.mjs in this one process: `node tests/js/all.mjs`. Quicker than
// `node --test tests/js/`, which starts one process per file; the results are the same.

import { readdirSync } from "node:fs";

const here = new URL(".", import.meta.url);
for (const name of readdirSync(here).filter((n) => n.endsWith(".test.mjs")).sort()) {
  await import(new URL(name, here));
}
