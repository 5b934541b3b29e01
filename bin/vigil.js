#!/usr/bin/env -S node --max-old-space-size=256 --max-semi-space-size=8
'use strict';
// The TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
// The heap cap keeps the worker's memory bounded: its working set is a few batches (ingest.bulk.maxBytes times
// concurrency, held as bytes off the heap) and, for mail, the messages still open (a few hundred bytes each, at most
// ingest.mail.maxOpenMessages), but V8 would otherwise let garbage pile up to a quarter of the machine's memory
// before collecting. The young generation is set too, because it counts in the resident memory: a larger one
// lets more garbage die young but costs up to three times its size in memory; beyond 8 MB, the worker's garbage
// (a line's objects, dead within the line) gains no speed and costs 20 MB or more with 100k mail messages open.
require('../dist/cli/main.js').main(process.argv).catch((err) => {
  process.stderr.write(`vigil: ${err && err.message ? err.message : err}\n`);
  process.exitCode = process.exitCode || 1;
});
