import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as FhirKit from 'fhir-kit-client';

/**
 * fhir-kit-client 2.x is an ES module whose package.json exports only an `import` condition, so a plain
 * `require('fhir-kit-client')` from our CommonJS build fails with ERR_PACKAGE_PATH_NOT_EXPORTED. Node
 * 20.19+ can require() an ES module by file path, and jest compiles it (jest.preset.js): so we locate
 * the package on the normal resolution paths and require its entry file.
 */
export function loadFhirKitClient(): typeof FhirKit {
  const dir = (require.resolve.paths('fhir-kit-client') ?? [])
    .map((p) => join(p, 'fhir-kit-client'))
    .find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error('fhir-kit-client is not installed');
  return require(join(dir, 'dist', 'index.js')) as typeof FhirKit;
}
