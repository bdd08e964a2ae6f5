import { describe, expect, it } from 'vitest';
import { compileIndexTemplate, formatUtc } from '../../../../sinks/search-core/index-name.ts';
import { templateName } from '../../../../sinks/search-core/index-template.ts';

const T = Date.UTC(2026, 10, 26, 18, 5, 7);

describe('index names', () => {
  it.each([
    ['logs-{logId}-{yyyy.MM.dd}', 'checkout', T, 'logs-checkout-2026.11.26'],
    ['logs-{logId}-{yyyy.MM.dd}', 'Checkout_V2', T, 'logs-checkout_v2-2026.11.26'],
    ['logs-{logId}-{yyyy.MM.dd.HH}', 'api', T, 'logs-api-2026.11.26.18'],
    ['{logId}-{yyyy-MM}', 'api', T, 'api-2026-11'],
    ['logs-{logId}', 'api', T, 'logs-api'],
    ['logs-{logId}-{yyyy.MM.dd}', 'api', Date.UTC(2026, 11, 31, 23, 59, 59, 999), 'logs-api-2026.12.31'],
    ['logs-{logId}-{yyyy.MM.dd}', 'api', Date.UTC(2027, 0, 1), 'logs-api-2027.01.01'],
  ])('%s for %s at %i is %s', (template, logId, ts, name) => {
    expect(compileIndexTemplate(template).indexOf(logId, ts)).toBe(name);
  });

  it('uses UTC and the per-hour cache never leaks a date across hours', () => {
    const namer = compileIndexTemplate('x-{logId}-{yyyy.MM.dd.HH}');
    expect(namer.indexOf('a', Date.UTC(2026, 0, 1, 23, 59))).toBe('x-a-2026.01.01.23');
    expect(namer.indexOf('a', Date.UTC(2026, 0, 2, 0, 0))).toBe('x-a-2026.01.02.00');
    expect(namer.indexOf('a', Date.UTC(2026, 0, 1, 23, 0))).toBe('x-a-2026.01.01.23');
  });

  it.each([
    ['logs-{logId}-{yyyy.MM.dd}', 'logs-*-*'],
    ['it-abc-{logId}-{yyyy.MM.dd}', 'it-abc-*-*'],
    ['{logId}{yyyy}', '*'],
  ])('%s has the index pattern %s', (template, pattern) => {
    expect(compileIndexTemplate(template).pattern).toBe(pattern);
  });

  it.each([
    [
      'logs-{logId}-{date}',
      'indexTemplate "logs-{logId}-{date}": expected {logId} or a date pattern of yyyy, MM, dd, HH and . - _ in braces, found {date}',
    ],
    [
      'Logs-{logId}',
      'indexTemplate "Logs-{logId}": expected lowercase letters, digits and . _ + - outside braces (index names are lowercase), found "Logs-"',
    ],
    [
      'logs {logId}',
      'indexTemplate "logs {logId}": expected lowercase letters, digits and . _ + - outside braces (index names are lowercase), found "logs "',
    ],
    ['_logs-{logId}', 'indexTemplate "_logs-{logId}": expected a name that does not start with -, _ or +'],
    [
      'logs-{yyyy/MM}-{logId}',
      'indexTemplate "logs-{yyyy/MM}-{logId}": expected {logId} or a date pattern of yyyy, MM, dd, HH and . - _ in braces, found {yyyy/MM}',
    ],
  ])('refuses %s', (template, message) => {
    expect(() => compileIndexTemplate(template)).toThrow(message);
  });

  it('formats date tokens', () => {
    expect(formatUtc('yyyy.MM.dd.HH', Date.UTC(2026, 1, 3, 4))).toBe('2026.02.03.04');
  });

  it('names the engine template spillway-logs for the default pattern only', () => {
    expect(templateName('logs-*-*')).toBe('spillway-logs');
    expect(templateName('it-abc-*-*')).toMatch(/^spillway-logs-[0-9a-f]{12}$/);
    expect(templateName('it-abc-*-*')).not.toBe(templateName('it-abd-*-*'));
  });
});
