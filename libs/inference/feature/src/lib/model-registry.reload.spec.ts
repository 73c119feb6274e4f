import { HealthRegistry } from '@triage/nest-platform';
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceOptions } from './inference.options';
import { capturingLogger, modelFixture } from './model-fixture.spec-helper';
import { ModelRegistry } from './model-registry.service';

/** Polls `probe` until it holds or the time is up (the watcher reloads asynchronously). */
async function eventually(probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ModelRegistry: manifests reload without a restart', () => {
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

  async function start(reload?: InferenceOptions['reload']) {
    const health = new HealthRegistry();
    const { logger, lines } = capturingLogger();
    registry = new ModelRegistry({ ...fixture.options, reload }, logger, health);
    await registry.onModuleInit();
    return { registry, health, lines };
  }
  const manifestPath = (id: string) => join(fixture.options.manifestsDir, `${id}.json`);
  const readManifest = (id: string) => JSON.parse(readFileSync(manifestPath(id), 'utf8')) as Record<string, unknown> & { output: { labels: { threshold: number }[] } };
  const find = (r: ModelRegistry, id: string) => r.list().find((m) => m.manifest.id === id);
  /** Rewrites a weights file with the same bytes and a new mtime: the registry cannot know it is the same without hashing it. */
  const touchWeights = (file: string) => {
    const path = join(fixture.options.modelsDir, file);
    writeFileSync(path, readFileSync(path));
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
  };

  it('applies a manifest-only change on the running session, and keeps the sessions of unchanged files', async () => {
    const { registry: r, lines } = await start();
    const head = find(r, 'head-ct-hyperdensity')!;
    const cxr = find(r, 'cxr-reference')!;
    const m = readManifest('cxr-reference');
    m.output.labels[0].threshold = 0.7;
    writeFileSync(manifestPath('cxr-reference'), JSON.stringify(m));
    await r.reload();
    const cxr2 = find(r, 'cxr-reference')!;
    expect(cxr2.manifest.output.labels[0].threshold).toBe(0.7);
    expect(cxr2.status).toBe('ready');
    expect(cxr2.session).toBe(cxr.session);
    expect(lines.some((l) => l.includes('weights unchanged, session kept'))).toBe(true);
    expect(find(r, 'head-ct-hyperdensity')).toBe(head);
    expect((await r.run(cxr2, new Float32Array(224 * 224).fill(0.5))).length).toBe(1);
  });

  it('loads and verifies the weights again, in a new session, when the weights file changes', async () => {
    const { registry: r } = await start();
    const cxr = find(r, 'cxr-reference')!;
    touchWeights(cxr.manifest.weights);
    await r.reload();
    const cxr2 = find(r, 'cxr-reference')!;
    expect(cxr2.status).toBe('ready');
    expect(cxr2.session).not.toBe(cxr.session);
  });

  it('releases a replaced session only after the runs in flight on it have finished', async () => {
    const { registry: r } = await start();
    const cxr = find(r, 'cxr-reference')!;
    const session = cxr.session!;
    let finish: (v: Awaited<ReturnType<typeof session.run>>) => void = () => undefined;
    jest.spyOn(session, 'run').mockImplementation(() => new Promise((resolve) => (finish = resolve)));
    const release = jest.spyOn(session, 'release');
    const running = r.run(cxr, new Float32Array(224 * 224));
    touchWeights(cxr.manifest.weights);
    await r.reload();
    expect(find(r, 'cxr-reference')!.session).not.toBe(session);
    expect(release).not.toHaveBeenCalled();
    finish({ probability: { data: new Float32Array([0.25]), dims: [1, 1] }, ctr: { data: new Float32Array([0.4]), dims: [1, 1] } } as unknown as Awaited<ReturnType<typeof session.run>>);
    expect(Array.from(await running)).toEqual([0.25]);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('keeps serving the previous model when the new manifest is invalid, logs it and reports it in health', async () => {
    const { registry: r, health, lines } = await start();
    const cxr = find(r, 'cxr-reference')!;
    writeFileSync(manifestPath('cxr-reference'), '{"id": "cxr-reference", "version": "oops"');
    await r.reload();
    expect(find(r, 'cxr-reference')).toBe(cxr);
    expect((await r.run(cxr, new Float32Array(224 * 224).fill(0.5))).length).toBe(1);
    expect(r.rejectedManifests().map((x) => x.file)).toEqual(['cxr-reference.json']);
    const report = await health.run();
    expect(report.checks.models.status).not.toBe('ok');
    expect(report.checks.models.error).toMatch(/cxr-reference.json rejected/);
    expect(lines.some((l) => l.includes('model manifest rejected') && l.includes('cxr-reference@1.1.0'))).toBe(true);
    // Fixed again: health recovers.
    writeFileSync(manifestPath('cxr-reference'), JSON.stringify({ ...readManifestFromFixtureSource(), version: '1.1.1' }));
    await r.reload();
    expect(find(r, 'cxr-reference')!.manifest.version).toBe('1.1.1');
    expect((await health.run()).checks.models.status).toBe('ok');
  });

  function readManifestFromFixtureSource(): Record<string, unknown> {
    return JSON.parse(readFileSync(join(__dirname, '../../../../../models/manifests/cxr-reference.json'), 'utf8')) as Record<string, unknown>;
  }

  it('verifies sha256 again: a new version whose weights do not match is refused and the old one keeps serving', async () => {
    const { registry: r, health } = await start();
    const head = find(r, 'head-ct-hyperdensity')!;
    const m = readManifest('head-ct-hyperdensity');
    writeFileSync(manifestPath('head-ct-hyperdensity'), JSON.stringify({ ...m, version: '1.2.0', sha256: 'a'.repeat(64) }));
    await r.reload();
    expect(find(r, 'head-ct-hyperdensity')).toBe(head);
    expect(head.manifest.version).toBe('1.1.0');
    expect((await health.run()).checks.models.error).toMatch(/head-ct-hyperdensity@1.1.0 keeps serving; head-ct-hyperdensity@1.2.0 refused \(sha256/);
  });

  it('drops a model whose manifest is removed', async () => {
    const { registry: r } = await start();
    rmSync(manifestPath('cxr18-convention-reference'));
    await r.reload();
    expect(r.list().map((m) => m.manifest.id)).toEqual(['cxr-reference', 'head-ct-hyperdensity']);
  });

  it('notices a change through fs.watch (debounced), with no periodic rescan', async () => {
    const { registry: r } = await start({ watch: true, rescanMs: 0, debounceMs: 50 });
    const m = readManifest('cxr-reference');
    // A burst of writes, as editors and copies do: one reload after the quiet time.
    for (const t of [0.55, 0.6, 0.65]) {
      m.output.labels[0].threshold = t;
      writeFileSync(manifestPath('cxr-reference'), JSON.stringify(m));
    }
    await eventually(() => find(r, 'cxr-reference')?.manifest.output.labels[0].threshold === 0.65);
  });

  it('notices a new manifest through the periodic rescan when change events are off', async () => {
    const { registry: r } = await start({ watch: false, rescanMs: 50, debounceMs: 0 });
    writeFileSync(join(fixture.options.manifestsDir, 'cxr-copy.json'), JSON.stringify({ ...readManifest('cxr-reference'), id: 'cxr-copy' }));
    await eventually(() => find(r, 'cxr-copy')?.status === 'ready');
    expect(r.list()).toHaveLength(4);
  });
});
