/** Registers the opensearch sink type (sinks/registry.ts). */
export { createOpenSearchDestination as factory } from './destination.ts';
