/**
 * The two host tools the stack needs, checked before anything starts so a missing one is a
 * one-line error naming what to install, not a stack trace 40 seconds later.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SpillwayError } from '../../core/errors.ts';
import { KAFKA_LIB, MAVEN_POM, OPENSEARCH_JAR, OPENSEARCH_LIB, PROJECT_ROOT, STACK_DIR } from './layout.ts';
import { tailFile } from './processes.ts';

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

/** Where Maven's output goes: its [INFO] lines help when it fails, not on a terminal every first run. */
export const MAVEN_LOG = path.join(STACK_DIR, 'mvn.log');

/**
 * Resolves the server jars from Maven Central into stack/<module>/target (a no-op when they
 * are already there, unless `force`). Prints one line; Maven's own output goes to MAVEN_LOG,
 * and its last lines into the error when it fails.
 */
export function fetchJars(options: { force?: boolean; print?: (line: string) => void } = {}): void {
  if (jarsPresent() && !options.force) return;
  const probe = spawnSync('mvn', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new SpillwayError(
      'SPW_ERR_STACK_TOOL_MISSING',
      'mvn not found: install Apache Maven 3.8+ (Debian: apt-get install maven); it fetches the Kafka and OpenSearch jars',
    );
  }
  const args = ['-B', '--no-transfer-progress', '-f', MAVEN_POM, 'clean', 'package', '-DskipTests'];
  const shown = path.relative(process.cwd(), MAVEN_LOG);
  const log = shown.startsWith('..') ? MAVEN_LOG : shown;
  (options.print ?? ((l: string) => console.log(l)))(
    `# stack: fetching the Kafka and OpenSearch jars with mvn (once per checkout, under a minute; log ${log})`,
  );
  fs.mkdirSync(STACK_DIR, { recursive: true });
  const fd = fs.openSync(MAVEN_LOG, 'w');
  let res: ReturnType<typeof spawnSync>;
  try {
    res = spawnSync('mvn', args, { cwd: PROJECT_ROOT, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  if (res.status !== 0) {
    throw new SpillwayError(
      'SPW_ERR_STACK_START',
      `mvn ${args.join(' ')} failed with exit status ${res.status}; last lines of ${MAVEN_LOG}:\n${tailFile(MAVEN_LOG, 25)}`,
    );
  }
}
