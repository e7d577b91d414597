#!/usr/bin/env node
// A committed entry, so package managers can link the binary before the TypeScript is built.
await import('../dist/bin.js');
