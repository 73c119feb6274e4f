// Production build: compiles the apps, libraries and operational tools to plain CommonJS in an output folder
// (default dist/) with @swc/core, rewriting the @triage/* aliases to relative requires, and copies the
// non-TypeScript files the services need at run time (Prisma schema and migrations, generated client assets).
//   node -r @swc-node/register tools/build/build.ts [--out DIR]
// deploy/Dockerfile runs exactly this; tools/build/build.integration-spec.ts proves the output starts.
import { transformFile, type Options } from '@swc/core';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** Source trees compiled into the output, relative to the workspace root. */
export const SOURCE_ROOTS = ['apps', 'libs', 'tools/kafka'];
/** Folders never shipped: test-only projects and build output. */
const EXCLUDED_DIRS = new Set(['node_modules', 'mesh-e2e', 'testing', '__fixtures__']);
const TEST_FILE = /\.(spec|integration-spec|e2e-spec|spec-helper)\.ts$|\.d\.ts$|\.harness\.ts$/;
/** Non-TypeScript files needed at run time, copied beside the compiled code. */
const RUNTIME_ASSET = /\.(prisma|sql|toml|json|wasm|node|js|mjs|cjs)$/;
const ASSET_DIRS = ['libs/audit/data-access/prisma', 'libs/audit/data-access/src/generated'];
/** Shipped as TypeScript: the Prisma CLI loads its config itself (c12/jiti) and cannot parse swc's CommonJS output. */
const VERBATIM_FILES = ['libs/audit/data-access/prisma.config.ts'];

export interface BuildResult {
  outDir: string;
  compiled: number;
  copied: number;
}

function walk(path: string, out: string[]): string[] {
  const st = statSync(path);
  if (st.isFile()) {
    out.push(path);
    return out;
  }
  for (const entry of readdirSync(path)) {
    if (EXCLUDED_DIRS.has(entry)) continue;
    walk(join(path, entry), out);
  }
  return out;
}

/** swc options: legacy decorators with metadata (NestJS), CommonJS, ES2022, tsconfig paths as relative requires. */
export function swcOptions(): Options {
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return {
    swcrc: false,
    configFile: false,
    sourceMaps: false,
    module: { type: 'commonjs', strict: false },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
      baseUrl: ROOT,
      paths: tsconfig.compilerOptions.paths,
    },
  };
}

/** Compiles the workspace into outDir (emptied first); returns counts for a log line. */
export async function build(outDir: string): Promise<BuildResult> {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  const options = swcOptions();
  const sources = [...new Set(SOURCE_ROOTS.flatMap((r) => walk(join(ROOT, r), [])))].filter(
    (f) =>
      f.endsWith('.ts') && !TEST_FILE.test(f) && !relative(ROOT, f).includes('/scripts/') && !VERBATIM_FILES.includes(relative(ROOT, f)),
  );
  for (const file of sources) {
    const { code } = await transformFile(file, { ...options, filename: file });
    const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  let copied = 0;
  const assets = VERBATIM_FILES.map((f) => join(ROOT, f));
  for (const dir of ASSET_DIRS) {
    if (!existsSync(join(ROOT, dir))) throw new Error(`${dir} is missing (run prisma generate first)`);
    assets.push(...walk(join(ROOT, dir), []).filter((f) => RUNTIME_ASSET.test(f)));
  }
  for (const file of assets) {
    const target = join(out, relative(ROOT, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    copied++;
  }
  return { outDir: out, compiled: sources.length, copied };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const outDir = outIdx >= 0 && args[outIdx + 1] ? args[outIdx + 1] : join(ROOT, 'dist');
  build(outDir).then(
    (r) => console.log(`built ${r.compiled} files and copied ${r.copied} assets into ${r.outDir}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
