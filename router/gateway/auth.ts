/**
 * Bearer-token check for agents. Tokens are compared in constant time: both sides are
 * hashed to 32 bytes first, so neither the content nor the length of a configured token
 * leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

export class TokenCheck {
  readonly #tokens: { agent: string; digest: Buffer }[];

  constructor(tokens: readonly { agent: string; token: string }[]) {
    this.#tokens = tokens.map((t) => ({ agent: t.agent, digest: digest(t.token) }));
  }

  /** True when no tokens are configured: any agent is accepted (local use; config check warns). */
  get open(): boolean {
    return this.#tokens.length === 0;
  }

  /** The agent a valid `Authorization: Bearer <token>` header belongs to, else undefined. */
  agentFor(header: string | undefined): string | undefined {
    if (this.open) return 'anonymous';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    const d = digest(m[1]!);
    let found: string | undefined;
    // Compare against every token (no early exit) so timing does not reveal which matched.
    for (const t of this.#tokens) if (timingSafeEqual(d, t.digest) && found === undefined) found = t.agent;
    return found;
  }
}
