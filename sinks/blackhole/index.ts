/** Registers the blackhole sink type (sinks/registry.ts). */
export { createBlackholeDestination as factory } from './destination.ts';
