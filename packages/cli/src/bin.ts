#!/usr/bin/env node
import { main } from './program.js';

// A closed pipe (e.g. `modelbundle inspect f | head`) ends the output quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv);
