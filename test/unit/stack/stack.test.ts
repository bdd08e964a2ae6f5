import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, resolvePorts } from '../../../stack/lib/layout.ts';
import { newClusterId } from '../../../stack/lib/services.ts';
import { checkJava, parseJavaMajor } from '../../../stack/lib/tools.ts';

describe('stack ports', () => {
  it('uses the defaults with no environment', () => {
    expect(resolvePorts({})).toEqual(DEFAULT_PORTS);
  });

  it('shifts every port by SPW_STACK_PORT_OFFSET', () => {
    expect(resolvePorts({ SPW_STACK_PORT_OFFSET: '100' })).toEqual({
      kafkaMain: 19192,
      kafkaMainController: 19193,
      kafkaAux: 29192,
      kafkaAuxController: 29193,
      search: 19300,
      searchTransport: 19400,
    });
  });

  it('lets one port be set on its own, over the offset', () => {
    expect(resolvePorts({ SPW_STACK_PORT_OFFSET: '100', SPW_STACK_SEARCH_PORT: '9250' }).search).toBe(9250);
  });

  it.each([
    [{ SPW_STACK_SEARCH_PORT: 'abc' }, 'SPW_STACK_SEARCH_PORT: expected an integer port in 1024..65535, found "abc"'],
    [
      { SPW_STACK_KAFKA_MAIN_PORT: '80' },
      'SPW_STACK_KAFKA_MAIN_PORT: expected an integer port in 1024..65535, found "80"',
    ],
    [{ SPW_STACK_PORT_OFFSET: '-5' }, 'SPW_STACK_PORT_OFFSET: expected an integer in 0..10000, found "-5"'],
  ])('rejects %j', (env, message) => {
    expect(() => resolvePorts(env)).toThrow(message);
  });
});

describe('java version parsing', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "25" 2025-09-16', 25],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "21.0.2-ea" 2024-01-16', 21],
    ['command not found', undefined],
  ])('%s -> %s', (text, major) => {
    expect(parseJavaMajor(text)).toBe(major);
  });
});

describe('kafka cluster id', () => {
  it('is 22 base64url characters (16 bytes), like StorageTool random-uuid', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newClusterId()).not.toBe(id);
  });

  it('never starts with "-", which StorageTool would parse as an option', () => {
    // One in 64 random ids starts with "-": 5000 draws find one with near certainty.
    const ids = Array.from({ length: 5000 }, newClusterId);
    expect(ids.filter((i) => i.startsWith('-'))).toEqual([]);
    expect(ids.every((i) => /^[A-Za-z0-9_-]{22}$/.test(i))).toBe(true);
  });
});

describe('missing tools', () => {
  it('names what to install when java is not there', () => {
    expect(() => checkJava({ SPW_STACK_JAVA: '/nonexistent/bin/java' })).toThrow(
      'java not found (/nonexistent/bin/java): install a JDK 17..23 (Debian: apt-get install openjdk-17-jdk-headless) or set SPW_STACK_JAVA',
    );
  });
});
