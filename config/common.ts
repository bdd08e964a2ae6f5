/**
 * Building blocks shared by the config schemas: level and importance vocabularies, the
 * `expected(...)` message convention, listen addresses, TLS files, batch and timeout options.
 *
 * Message convention: a custom zod message always starts with "expected ", and the issue
 * formatter (config/issues.ts) prints it as `<path>: expected <text>, found <actual>`.
 */
import { z } from 'zod';

/** pino's levels, lowest first. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

/** Importance tiers, most important first. */
export const IMPORTANCES = ['S', 'A', 'B', 'C'] as const;
export type Importance = (typeof IMPORTANCES)[number];

/** Hot-path request timeouts above this are refused: deadlines propagate, and a stuck request holds in-flight slots. */
export const MAX_HOT_PATH_TIMEOUT_MS = 30_000;
/** Upper bound for any other timeout: 10 minutes; anything longer is a hang, not a timeout. */
export const MAX_TIMEOUT_MS = 600_000;
/** Listen host default: loopback, so nothing is exposed until an operator says so. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** A zod error option whose message follows the "expected ..." convention. */
export function expected(text: string): { error: string } {
  return { error: `expected ${text}` };
}

/** Attach the description and one example (read by the config reference generator). */
export function doc<T extends z.ZodType>(schema: T, description: string, example: unknown): T {
  return schema.describe(description).meta({ examples: [example] }) as T;
}

export const levelSchema = z.enum(LEVELS);
export const importanceSchema = z.enum(IMPORTANCES);

/** Level class names become part of topic names, so they are restricted to topic-safe characters. */
export const levelClassNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, expected('a level class name of 1-32 lowercase letters, digits or "-"'));

export const levelClassesSchema = z.record(levelClassNameSchema, z.array(levelSchema).min(1));

/** Any timeout that is not on a request hot path. */
export function timeoutMs(defaultMs: number, description: string): z.ZodDefault<z.ZodNumber> {
  return doc(
    z
      .number()
      .int()
      .min(1)
      .max(
        MAX_TIMEOUT_MS,
        expected(`at most ${MAX_TIMEOUT_MS} ms (10 minutes); a longer wait is a hang, not a timeout`),
      )
      .default(defaultMs),
    description,
    defaultMs,
  );
}

/**
 * A request timeout on a hot path. Capped at 30 s: deadlines propagate from the caller,
 * and a stuck request holds in-flight slots that other records need.
 */
export function hotPathTimeoutMs(defaultMs: number, description: string): z.ZodDefault<z.ZodNumber> {
  return doc(
    z
      .number()
      .int()
      .min(1)
      .max(
        MAX_HOT_PATH_TIMEOUT_MS,
        expected(
          `at most ${MAX_HOT_PATH_TIMEOUT_MS} ms on a hot path (deadlines propagate to callers and a stuck request holds in-flight slots; fail fast and retry instead)`,
        ),
      )
      .default(defaultMs),
    description,
    defaultMs,
  );
}

export const hostSchema = doc(
  z.string().min(1).default(DEFAULT_LISTEN_HOST),
  'Address to listen on; loopback by default.',
  '0.0.0.0',
);

export function listenSchema(defaultPort: number) {
  return doc(
    z
      .object({
        host: hostSchema,
        port: doc(
          z.number().int().min(0).max(65535).default(defaultPort),
          'TCP port; 0 picks a free port.',
          defaultPort,
        ),
      })
      .strict()
      .prefault({}),
    'Where the server listens.',
    { host: DEFAULT_LISTEN_HOST, port: defaultPort },
  );
}

export const tlsSchema = doc(
  z
    .object({
      caFile: doc(z.string().min(1).optional(), 'PEM file with the CA certificates to trust.', '/etc/spillway/ca.pem'),
      certFile: doc(z.string().min(1).optional(), 'PEM client certificate (mutual TLS).', '/etc/spillway/client.pem'),
      keyFile: doc(
        z.string().min(1).optional(),
        'PEM private key of the client certificate.',
        '/etc/spillway/client.key',
      ),
      rejectUnauthorized: doc(
        z.boolean().default(true),
        'Refuse servers whose certificate does not verify. Turn off only for local tests.',
        true,
      ),
    })
    .strict(),
  'TLS settings; omit for plaintext.',
  { caFile: '/etc/spillway/ca.pem' },
);

export interface BatchDefaults {
  maxRecords: number;
  maxBytes: number;
  lingerMs: number;
}

/** A batch closes at whichever comes first: maxRecords, maxBytes, or lingerMs after its first record. */
export function batchSchema(d: BatchDefaults, what: string) {
  return doc(
    z
      .object({
        maxRecords: doc(
          z.number().int().min(1).default(d.maxRecords),
          'Close the batch at this many records.',
          d.maxRecords,
        ),
        maxBytes: doc(z.number().int().min(1).default(d.maxBytes), 'Close the batch at this many bytes.', d.maxBytes),
        lingerMs: doc(
          z.number().int().min(0).max(MAX_TIMEOUT_MS).default(d.lingerMs),
          'Close the batch this long after its first record; must be below the request timeout.',
          d.lingerMs,
        ),
      })
      .strict()
      .prefault({}),
    `Batching of ${what}.`,
    d,
  );
}

/** Secret-bearing keys: redacted in any output, and never left as an unresolved placeholder. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'apiKey', 'token']);
