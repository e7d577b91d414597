export { dockerCommand } from './commands/docker.js';
export { type InspectReport, inspectCommand } from './commands/inspect.js';
export { predictCommand } from './commands/predict.js';
export { type VerifyReport, verifyCommand } from './commands/verify.js';
export { type InputFormat, readInputRows } from './input-rows.js';
export { buildProgram, main } from './program.js';
export { cliRegistry } from './registry.js';
