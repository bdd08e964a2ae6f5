/** Writes the generated docs: docs/config-reference.md (zod schemas) and docs/errors.md (error codes). `node scripts/gen-docs.ts` */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from '../config/reference.ts';
import { renderErrorsDoc } from '../core/errors-doc.ts';

for (const [file, text] of [
  ['config-reference.md', renderConfigReference()],
  ['errors.md', renderErrorsDoc()],
] as const) {
  const target = fileURLToPath(new URL(`../docs/${file}`, import.meta.url));
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
