#!/usr/bin/env node
'use strict';
// The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
require('../dist/cli/main.js').main(process.argv).catch((err) => {
  process.stderr.write(`vigil: ${err && err.message ? err.message : err}\n`);
  process.exitCode = process.exitCode || 1;
});
