/**
 * The one errors module. Every error Spillway raises on purpose has a stable code
 * `SPW_ERR_<AREA>_<WHAT>`, an operator-readable message, whether retrying can help, the
 * cause, and typed context. test/unit/core/errors.test.ts checks every code is documented
 * in docs/errors.md.
 *
 * Modelled on Fastify's lib/errors.js and kafkajs' errors.js: codes are data, so callers
 * branch on `err.code`, never on message text.
 */

export interface ErrorContext {
  topic?: string;
  partition?: number;
  logId?: string;
  cluster?: string;
  path?: string;
  [key: string]: unknown;
}

interface CodeSpec {
  /** One line for docs/errors.md: when it happens and what to do. */
  readonly doc: string;
  readonly retriable: boolean;
  /** Process exit status when this error ends a CLI command. */
  readonly exitCode: number;
}

/** Exit status for invalid input (bad config, bad flags); 1 is for runtime failures. */
export const EXIT_USAGE = 2;

export const ERROR_CODES = {
  SPW_ERR_CONFIG_INVALID: {
    doc: 'The config file failed validation; every problem is listed with its path, the expected and the found value.',
    retriable: false,
    exitCode: EXIT_USAGE,
  },
  SPW_ERR_CONFIG_READ: {
    doc: 'The config file could not be read or parsed as YAML/JSON.',
    retriable: false,
    exitCode: EXIT_USAGE,
  },
  SPW_ERR_CONFIG_ENV_MISSING: {
    doc: 'The config references ${NAME} but the environment has no such variable.',
    retriable: false,
    exitCode: EXIT_USAGE,
  },
  SPW_ERR_CLI_USAGE: {
    doc: 'Unknown subcommand or flag, or a missing argument; run with --help.',
    retriable: false,
    exitCode: EXIT_USAGE,
  },
  SPW_ERR_STACK_TOOL_MISSING: {
    doc: 'java, mvn or openssl is not installed, too old, or failed; install the named package.',
    retriable: false,
    exitCode: 1,
  },
  SPW_ERR_STACK_START: {
    doc: 'A local stack process exited or did not become ready in time; its log file is named.',
    retriable: true,
    exitCode: 1,
  },
  SPW_ERR_STACK_PORT_TAKEN: {
    doc: 'A port the stack needs is used by a process this checkout did not start (another checkout, another service).',
    retriable: false,
    exitCode: 1,
  },
  SPW_ERR_KAFKA_CONNECT: {
    doc: 'No broker of a cluster answered within the connect timeout.',
    retriable: true,
    exitCode: 1,
  },
  SPW_ERR_KAFKA_AUTH: {
    doc: 'A broker refused the SASL login: fix clusters[].security.sasl (mechanism, username, password); nothing was sent to that cluster.',
    retriable: false,
    exitCode: 1,
  },
  SPW_ERR_KAFKA_TLS: {
    doc: "The TLS handshake with a broker failed (certificate not trusted, wrong host name, plaintext port): fix clusters[].security.tls, e.g. caFile names the CA that signed the broker's certificate.",
    retriable: false,
    exitCode: 1,
  },
  SPW_ERR_KAFKA_PRODUCE: {
    doc: 'A produce request was not acknowledged (timeout, broker error); the records were not written.',
    retriable: true,
    exitCode: 1,
  },
  SPW_ERR_KAFKA_CONSUME: {
    doc: 'A fetch, join or commit failed on a consumer.',
    retriable: true,
    exitCode: 1,
  },
  SPW_ERR_KAFKA_ADMIN: {
    doc: 'Creating topics or reading offsets/metadata failed.',
    retriable: true,
    exitCode: 1,
  },
  SPW_ERR_PLACEMENT_BUDGET: {
    doc: "A cluster's partition budget would be exceeded by the topics placed on it.",
    retriable: false,
    exitCode: EXIT_USAGE,
  },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SpillwayError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpillwayError';
    this.code = code;
    this.retriable = ERROR_CODES[code].retriable;
    this.context = options.context ?? {};
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }
}

export function isSpillwayError(err: unknown, code?: ErrorCode): err is SpillwayError {
  return err instanceof SpillwayError && (code === undefined || err.code === code);
}
