/**
 * The two host tools the stack needs, checked before anything starts so a missing one is a
 * one-line error naming what to install, not a stack trace 40 seconds later.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { SpillwayError } from '../../core/errors.ts';
import { KAFKA_LIB, MAVEN_POM, OPENSEARCH_JAR, OPENSEARCH_LIB } from './layout.ts';

/** Kafka 4 brokers need Java 17+; OpenSearch 2.19 relies on the SecurityManager, removed in Java 24. */
export const JAVA_MIN = 17;
export const JAVA_MAX = 23;

/** The java binary: SPW_STACK_JAVA, else `java` on PATH (JAVA_HOME is left to Maven, which may use a newer JDK). */
export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.SPW_STACK_JAVA ?? 'java';
}

/** Parses the major version out of `java -version` output ("17.0.15", "1.8.0_392", "25"). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

export function checkJava(env: NodeJS.ProcessEnv = process.env): string {
  const java = javaCommand(env);
  const res = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (res.error) {
    throw new SpillwayError(
      'SPW_ERR_STACK_TOOL_MISSING',
      `java not found (${java}): install a JDK ${JAVA_MIN}..${JAVA_MAX} (Debian: apt-get install openjdk-17-jdk-headless) or set SPW_STACK_JAVA`,
    );
  }
  const major = parseJavaMajor(`${res.stderr}${res.stdout}`);
  if (major === undefined || major < JAVA_MIN || major > JAVA_MAX) {
    throw new SpillwayError(
      'SPW_ERR_STACK_TOOL_MISSING',
      `java ${major ?? '?'} at ${java} cannot run the stack: it needs Java ${JAVA_MIN}..${JAVA_MAX} (Kafka 4 needs 17+, OpenSearch 2.19 needs the SecurityManager removed in 24); install openjdk-17-jdk-headless or set SPW_STACK_JAVA`,
    );
  }
  return java;
}

export function jarsPresent(): boolean {
  return (
    [KAFKA_LIB, OPENSEARCH_LIB].every((d) => fs.existsSync(d) && fs.readdirSync(d).length > 0) &&
    fs.existsSync(OPENSEARCH_JAR)
  );
}

/**
 * Resolves the server jars from Maven Central into stack/<module>/target (a no-op when they
 * are already there, unless `force`). Maven's own progress goes to the terminal.
 */
export function fetchJars(options: { force?: boolean; quiet?: boolean } = {}): void {
  if (jarsPresent() && !options.force) return;
  const probe = spawnSync('mvn', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new SpillwayError(
      'SPW_ERR_STACK_TOOL_MISSING',
      'mvn not found: install Apache Maven 3.8+ (Debian: apt-get install maven); it fetches the Kafka and OpenSearch jars',
    );
  }
  const args = ['-B', '-f', MAVEN_POM, 'clean', 'package', '-DskipTests'];
  if (options.quiet) args.splice(1, 0, '-q');
  else args.splice(1, 0, '--no-transfer-progress');
  const res = spawnSync('mvn', args, { stdio: 'inherit' });
  if (res.status !== 0) {
    throw new SpillwayError('SPW_ERR_STACK_START', `mvn ${args.join(' ')} failed with exit status ${res.status}`);
  }
}
