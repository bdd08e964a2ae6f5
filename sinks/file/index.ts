/** Registers the file sink type (sinks/registry.ts). */
export { createFileDestination as factory } from './destination.ts';
