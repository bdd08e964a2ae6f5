/** Registers the elasticsearch sink type (sinks/registry.ts). */
export { createElasticsearchDestination as factory } from './destination.ts';
