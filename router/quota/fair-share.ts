/**
 * Weighted max-min fair allocation for the quota lease: the shared implementation in
 * core/resilience/max-min.ts (water filling, Bertsekas & Gallager 6.5.2), re-exported so the
 * quota code and its tests name one place.
 */
export { type Demand as FairClaim, maxMinFair } from '../../core/resilience/max-min.ts';
