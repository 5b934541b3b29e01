#!/usr/bin/env -S node --max-old-space-size=160 --max-semi-space-size=32
'use strict';
// The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
// The heap cap keeps the worker's memory bounded: its working set is a few batches (ingest.bulk.maxBytes times
// concurrency, held as bytes off the heap), but V8 would otherwise let garbage pile up to a quarter of the machine's
// memory before collecting. A larger young generation lets a batch's garbage die young, which costs less CPU.
require('../dist/cli/main.js').main(process.argv).catch((err) => {
  process.stderr.write(`vigil: ${err && err.message ? err.message : err}\n`);
  process.exitCode = process.exitCode || 1;
});
