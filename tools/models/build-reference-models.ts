import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REFERENCE_MODELS } from './reference-models';

/**
 * Builds the reference ONNX models (never downloaded) into a directory, byte-for-byte deterministic.
 *   node -r @swc-node/register tools/models/build-reference-models.ts [outDir] [--update-manifests]
 * `--update-manifests` writes the new sha256 into models/manifests/<id>.json (after a deliberate change).
 */

export interface BuiltModel {
  id: string;
  version: string;
  file: string;
  path: string;
  sha256: string;
  bytes: number;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'models', 'build');
export const MANIFESTS_DIR = join(REPO_ROOT, 'models', 'manifests');

/** Writes every reference model into `outDir` and returns what it wrote. */
export function buildReferenceModels(outDir: string = DEFAULT_OUT_DIR): BuiltModel[] {
  mkdirSync(outDir, { recursive: true });
  return REFERENCE_MODELS.map((m) => {
    const bytes = m.build();
    const path = join(outDir, m.file);
    writeFileSync(path, bytes);
    return {
      id: m.id,
      version: m.version,
      file: m.file,
      path,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.byteLength,
    };
  });
}

function updateManifests(built: BuiltModel[], manifestsDir: string): void {
  for (const b of built) {
    const path = join(manifestsDir, `${b.id}.json`);
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    manifest.sha256 = b.sha256;
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const outDir = resolve(args.find((a) => !a.startsWith('--')) ?? DEFAULT_OUT_DIR);
  const built = buildReferenceModels(outDir);
  if (args.includes('--update-manifests')) updateManifests(built, MANIFESTS_DIR);
  for (const b of built) process.stdout.write(`${b.id}@${b.version} ${b.sha256} ${b.bytes} B -> ${b.path}\n`);
}
