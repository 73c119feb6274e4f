/**
 * Writes docs/asyncapi.yaml and the README's topic table from the contracts library.
 * `--check` writes nothing and exits 1 when either has drifted from the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAsyncApiYaml, spliceTopicsTable } from '@triage/contracts';

const root = join(__dirname, '..', '..');
const check = process.argv.includes('--check');
const targets = [
  { file: join(root, 'docs', 'asyncapi.yaml'), next: () => renderAsyncApiYaml() },
  { file: join(root, 'README.md'), next: () => spliceTopicsTable(readFileSync(join(root, 'README.md'), 'utf8')) },
];

let drift = 0;
for (const t of targets) {
  let current = '';
  try {
    current = readFileSync(t.file, 'utf8');
  } catch {
    current = '';
  }
  const next = t.next();
  if (current === next) continue;
  drift += 1;
  if (check) console.error(`${t.file} is out of date; run: npx nx run contracts:asyncapi`);
  else {
    writeFileSync(t.file, next);
    console.log(`wrote ${t.file}`);
  }
}
process.exitCode = check && drift ? 1 : 0;
