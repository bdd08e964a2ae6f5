/** Registers the http sink type (sinks/registry.ts). */
export { createHttpDestination as factory } from './destination.ts';
