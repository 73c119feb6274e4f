import { HealthRegistry } from '@triage/nest-platform';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capturingLogger, modelFixture } from './model-fixture.spec-helper';
import { ModelRegistry } from './model-registry.service';

describe('ModelRegistry', () => {
  let fixture: ReturnType<typeof modelFixture>;
  let registry: ModelRegistry | undefined;
  beforeEach(() => {
    fixture = modelFixture();
  });
  afterEach(async () => {
    await registry?.onModuleDestroy();
    registry = undefined;
    fixture.cleanup();
  });

  async function start(): Promise<{ registry: ModelRegistry; health: HealthRegistry; lines: string[] }> {
    const health = new HealthRegistry();
    const { logger, lines } = capturingLogger();
    registry = new ModelRegistry(fixture.options, logger, health);
    await registry.onModuleInit();
    return { registry, health, lines };
  }

  it('loads the reference models whose weights match their manifests and reports ready', async () => {
    const { registry: r, health } = await start();
    expect(r.list().map((m) => [m.manifest.id, m.status])).toEqual([
      ['cxr-reference', 'ready'],
      ['cxr18-convention-reference', 'ready'],
      ['head-ct-hyperdensity', 'ready'],
    ]);
    const report = await health.run();
    expect(report.checks.models.status).toBe('ok');
  });

  it('refuses weights whose sha256 differs, logs it and fails the models readiness check', async () => {
    const weights = join(fixture.options.modelsDir, 'head-ct-hyperdensity-1.1.0.onnx');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 1] ^= 0xff; // one flipped byte in the last initializer
    writeFileSync(weights, bytes);
    const { registry: r, health, lines } = await start();
    const head = r.list().find((m) => m.manifest.id === 'head-ct-hyperdensity')!;
    expect(head.status).toBe('refused');
    expect(head.session).toBeUndefined();
    expect(head.reason).toMatch(/sha256/);
    expect(r.list().find((m) => m.manifest.id === 'cxr-reference')!.status).toBe('ready');
    const report = await health.run();
    expect(report.status).toBe('unavailable');
    expect(report.checks.models.error).toMatch(/head-ct-hyperdensity@1.1.0 refused/);
    expect(lines.some((l) => l.includes('sha256 differs'))).toBe(true);
    await expect(r.run(head, new Float32Array(256 * 256))).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });

  it('does not load a model whose mode is off, and rejects an invalid manifest', async () => {
    const path = join(fixture.options.manifestsDir, 'cxr-reference.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), mode: 'off' }));
    writeFileSync(join(fixture.options.manifestsDir, 'broken.json'), '{"id": "x"}');
    const { registry: r, health } = await start();
    const cxr = r.list().find((m) => m.manifest.id === 'cxr-reference')!;
    expect(cxr.status).toBe('off');
    expect(cxr.session).toBeUndefined();
    expect(r.rejectedManifests().map((m) => m.file)).toEqual(['broken.json']);
    expect((await health.run()).checks.models.error).toMatch(/broken.json rejected/);
  });

  it('runs the head CT model on a plane and returns its probability', async () => {
    const { registry: r } = await start();
    const head = r.list().find((m) => m.manifest.id === 'head-ct-hyperdensity')!;
    const plane = new Float32Array(256 * 256).fill(0.35);
    expect((await r.run(head, plane))[0]).toBeLessThan(0.01);
    plane.fill(0.7, 0, 2000); // ~3 % of the slice at 70 HU
    expect((await r.run(head, plane))[0]).toBeGreaterThan(0.99);
  });
});
