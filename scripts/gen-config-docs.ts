/** Writes docs/config-reference.md from the zod schemas: `node scripts/gen-config-docs.ts`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from '../config/reference.ts';

const target = fileURLToPath(new URL('../docs/config-reference.md', import.meta.url));
writeFileSync(target, renderConfigReference());
console.log(`wrote ${target}`);
