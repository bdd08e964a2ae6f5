/** Writes the generated docs: config-reference.md (zod schemas), errors.md (error codes), metrics.md (telemetry). `node scripts/gen-docs.ts` */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from '../config/reference.ts';
import { renderErrorsDoc } from '../core/errors-doc.ts';
import { renderMetricsDoc } from '../core/telemetry.ts';

for (const [file, text] of [
  ['config-reference.md', renderConfigReference()],
  ['errors.md', renderErrorsDoc()],
  ['metrics.md', renderMetricsDoc()],
] as const) {
  const target = fileURLToPath(new URL(`../docs/${file}`, import.meta.url));
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
