/**
 * Which spooled entries make room for a new one when the spool is full. Same rule as the
 * in-memory `shed-lowest` queue (core/resilience/bounded-queue.ts), after the SRE book's
 * criticality-aware shedding (https://sre.google/sre-book/handling-overload/): only
 * entries strictly less critical than the new one are evicted, lowest criticality first,
 * oldest first within a criticality; if evicting every one of them would still not make
 * room, the new entry is rejected and nothing is evicted (a full spool of CRITICAL batches
 * keeps them and refuses another SHEDDABLE or CRITICAL one).
 */
import { type Criticality, criticalityRank } from '../../core/resilience/criticality.ts';

export interface Evictable {
  criticality: Criticality;
  bytes: number;
}

export type EvictionPlan<T> = { ok: true; victims: T[] } | { ok: false; reason: 'rejected' | 'too-large' };

/**
 * @param lanes live entries per criticality rank (index 0 = SHEDDABLE), each oldest first.
 * @param liveBytes bytes the live entries take now.
 */
export function planEviction<T extends Evictable>(
  lanes: readonly Iterable<T>[],
  liveBytes: number,
  maxBytes: number,
  incoming: Evictable,
): EvictionPlan<T> {
  if (incoming.bytes > maxBytes) return { ok: false, reason: 'too-large' };
  const need = liveBytes + incoming.bytes - maxBytes;
  if (need <= 0) return { ok: true, victims: [] };
  const victims: T[] = [];
  let freed = 0;
  for (let rank = 0; rank < criticalityRank(incoming.criticality); rank++) {
    for (const entry of lanes[rank] ?? []) {
      victims.push(entry);
      freed += entry.bytes;
      if (freed >= need) return { ok: true, victims };
    }
  }
  return { ok: false, reason: 'rejected' };
}
