/** A small valid config document the config tests mutate. */
// biome-ignore lint/suspicious/noExplicitAny: test documents are mutated freely to make them invalid
export function baseDocument(): Record<string, any> {
  return {
    clusters: [
      { name: 'main', brokers: ['127.0.0.1:19092'] },
      { name: 'aux', brokers: ['127.0.0.1:29092'] },
    ],
    pools: { S: ['main', 'aux'], A: ['main'], B: ['main'], C: ['aux'] },
    logIds: [
      { id: 'payments', name: 'Payments', owner: 'team-pay', importance: 'S', sinks: ['search'] },
      { id: 'unknown', name: 'Unknown logIds', owner: 'platform', importance: 'C', sinks: ['archive'] },
    ],
    sinks: [
      { type: 'opensearch', name: 'search', nodes: ['http://127.0.0.1:19200'] },
      { type: 'file', name: 'archive', directory: '/tmp/archive' },
    ],
  };
}
