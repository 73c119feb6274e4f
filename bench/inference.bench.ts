/**
 * The inference stage against a bare ONNX Runtime session, side by side in one run, plus preprocessing.
 *
 *   node -r @swc-node/register bench/inference.bench.ts [--rounds 30] [--slices 40]
 *
 * 1. Stage vs bare, on the reference head CT model and a generated CT series of `slices` slices:
 *    ours  = InferenceService.evaluate(): the pixels in hand (decoded DicomImages) → slice order →
 *            preprocessing (HU window, resize) → ModelRegistry.runOutputs (gate, tensor, all outputs) →
 *            activation, aggregation, findings, quality and body-part checks, heatmap of the best slice;
 *    bare  = InferenceSession.run on the same model bytes with the same session options, once per slice,
 *            on the same model inputs (preprocessed beforehand, outside the clock).
 *    A second row puts the bare side's preprocessing on its clock too (preprocessFrame per slice), so
 *    the ratio is the cost of the stage's own machinery alone. Rounds alternate ours / bare; medians.
 * 2. Preprocessing of ../shared/data/dicom/cxr_nih_1024.dcm (1024x1024, 8-bit) for the chest models
 *    (VOI fallback, resize to 224x224): decode, preprocess, and both; target under 15 ms.
 * 3. Preprocessing of the `slices`-slice CT series: decode every instance, order, preprocess each.
 * Target for (1): stage at most 1.15x bare session.run (the first ratio row); the second row is for diagnosis.
 */
import 'reflect-metadata';
import { decodeDicomImage, loadPixelCodecs, orderSlices, preprocessFrame, type DicomImage } from '@triage/inference-domain';
import { HeatmapStore, InferenceService, ModelRegistry, type InferenceOptions } from '@triage/inference-feature';
import { HealthRegistry, RuntimeInfo, type EventPublisher } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { generateHeadCtStudy } from '@triage/samples';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 30);
const SLICES = arg('slices', 40);
const ROOT = resolve(__dirname, '..');
const CXR_FILE = resolve(ROOT, '..', 'shared', 'data', 'dicom', 'cxr_nih_1024.dcm');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const min = (xs: number[]) => Math.min(...xs);

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Process CPU time (all threads, user + system) of one call, in ms: steadier than wall time on a shared machine. */
async function cpuTime(fn: () => unknown | Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'inference-bench-'));
  const modelsDir = join(dir, 'build');
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'tools/models/build-reference-models.ts', modelsDir], { cwd: ROOT, stdio: 'ignore' });
  const options: InferenceOptions = {
    manifestsDir: join(ROOT, 'models', 'manifests'),
    modelsDir,
    heatmapsDir: join(dir, 'heatmaps'),
    intraOpNumThreads: 1,
    maxConcurrentRuns: 1,
    fetchConcurrency: 4,
    fetchTimeoutMs: 30_000,
    allowedOrigins: [],
  };
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const registry = new ModelRegistry(options, logger, new HealthRegistry());
  await registry.onModuleInit();
  await loadPixelCodecs();
  const service = new InferenceService(registry, { retrieve: () => Promise.reject(new Error('no I/O in the bench')) }, {} as EventPublisher, options, logger, new HeatmapStore(options, new RuntimeInfo()));
  const head = registry.list().find((m) => m.manifest.id === 'head-ct-hyperdensity');
  if (!head || head.status !== 'ready') throw new Error('head CT reference model not ready');
  const m = head.manifest;

  // The anchor: its own session on the same bytes, same options as the registry's.
  const bare = await InferenceSession.create(readFileSync(join(modelsDir, m.weights)), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const files = generateHeadCtStudy({ haemorrhage: true, slices: SLICES }).files;
  const images: DicomImage[] = files.map((f) => decodeDicomImage(f));
  const slices = orderSlices(images);
  const planes = slices.map((s) => preprocessFrame(s.image, s.frame, m.preprocessing));
  const bareRun = async (withPreprocessing: boolean) => {
    for (let i = 0; i < slices.length; i++) {
      const plane = withPreprocessing ? preprocessFrame(slices[i].image, slices[i].frame, m.preprocessing) : planes[i];
      await bare.run({ [m.input.name]: new Tensor('float32', plane, m.input.shape) });
    }
  };
  const ours: number[] = [];
  const anchor: number[] = [];
  const anchorPre: number[] = [];
  const oursCpu: number[] = [];
  const anchorCpu: number[] = [];
  const anchorPreCpu: number[] = [];
  // Warm-up: first runs allocate arenas and JIT the JS paths.
  for (let i = 0; i < 3; i++) {
    await service.evaluate(head, images);
    await bareRun(true);
  }
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(await time(() => service.evaluate(head, images)));
    anchor.push(await time(() => bareRun(false)));
    anchorPre.push(await time(() => bareRun(true)));
    oursCpu.push(await cpuTime(() => service.evaluate(head, images)));
    anchorCpu.push(await cpuTime(() => bareRun(false)));
    anchorPreCpu.push(await cpuTime(() => bareRun(true)));
  }
  const positive = (await service.evaluate(head, images)).findings[0].positive;

  // Preprocessing of the real 1024x1024 chest radiograph for the chest model.
  const cxrModel = registry.list().find((x) => x.manifest.id === 'cxr-reference');
  if (!cxrModel) throw new Error('chest reference model missing');
  const cxr = cxrModel.manifest;
  const cxrRows: Record<string, number[]> = { decode: [], preprocess: [], both: [] };
  if (existsSync(CXR_FILE)) {
    const bytes = readFileSync(CXR_FILE);
    const img = decodeDicomImage(bytes);
    for (let i = 0; i < 3; i++) preprocessFrame(decodeDicomImage(bytes), 0, cxr.preprocessing);
    for (let r = 0; r < ROUNDS; r++) {
      cxrRows.decode.push(await time(() => decodeDicomImage(bytes)));
      cxrRows.preprocess.push(await time(() => preprocessFrame(img, 0, cxr.preprocessing)));
      cxrRows.both.push(await time(() => preprocessFrame(decodeDicomImage(bytes), 0, cxr.preprocessing)));
    }
  }

  // Preprocessing of the CT series: decode each instance, order by position, preprocess each slice.
  const ctRows: Record<string, number[]> = { decode: [], preprocess: [], both: [] };
  for (let r = 0; r < Math.max(5, Math.floor(ROUNDS / 3)); r++) {
    ctRows.decode.push(await time(() => files.map((f) => decodeDicomImage(f))));
    ctRows.preprocess.push(await time(() => orderSlices(images).map((s) => preprocessFrame(s.image, s.frame, m.preprocessing))));
    ctRows.both.push(await time(() => orderSlices(files.map((f) => decodeDicomImage(f))).map((s) => preprocessFrame(s.image, s.frame, m.preprocessing))));
  }

  const out = process.stdout;
  out.write(`inference bench: ${SLICES}-slice head CT (256x256), ${ROUNDS} rounds, model ${m.id}@${m.version}, 1 intra-op thread; finding positive=${positive}\n`);
  const row = (name: string, xs: number[]) => out.write(`  ${name.padEnd(42)} median ${fmt(median(xs))}  min ${fmt(min(xs))}  p90 ${fmt(p90(xs))}\n`);
  row('stage (InferenceService.evaluate)', ours);
  row(`bare InferenceSession.run x${SLICES}`, anchor);
  row(`bare run + preprocessFrame x${SLICES}`, anchorPre);
  const ratio = (a: number[], b: number[]) => `median ${(median(a) / median(b)).toFixed(3)}x, min ${(min(a) / min(b)).toFixed(3)}x`;
  out.write(`  ratio stage / bare run                      ${ratio(ours, anchor)}  (target <= 1.15x)\n`);
  out.write(`  ratio stage / (bare run + preprocessing)    ${ratio(ours, anchorPre)}\n`);
  out.write(`  CPU time (process, all threads): stage ${fmt(median(oursCpu))}, bare ${fmt(median(anchorCpu))}, bare + preprocessing ${fmt(median(anchorPreCpu))} (medians)\n`);
  out.write(`  CPU ratio stage / bare run                  ${ratio(oursCpu, anchorCpu)}  (target <= 1.15x)\n`);
  out.write(`  CPU ratio stage / (bare run + preprocessing) ${ratio(oursCpu, anchorPreCpu)}\n`);
  if (cxrRows.both.length) {
    out.write(`chest X-ray 1024x1024 (cxr_nih_1024.dcm) -> 224x224, ${ROUNDS} rounds\n`);
    out.write(`  decode ${fmt(median(cxrRows.decode))}  preprocess ${fmt(median(cxrRows.preprocess))}  decode+preprocess ${fmt(median(cxrRows.both))} (medians)\n`);
    out.write(`  decode ${fmt(min(cxrRows.decode))}  preprocess ${fmt(min(cxrRows.preprocess))}  decode+preprocess ${fmt(min(cxrRows.both))} (minima; target < 15 ms)\n`);
  } else {
    out.write(`chest X-ray: ${CXR_FILE} absent, row not measured\n`);
  }
  out.write(`CT series ${SLICES} slices 256x256: decode ${fmt(median(ctRows.decode))}  order+preprocess ${fmt(median(ctRows.preprocess))}  all ${fmt(median(ctRows.both))} (medians)\n`);
  out.write(`CT series ${SLICES} slices 256x256: decode ${fmt(min(ctRows.decode))}  order+preprocess ${fmt(min(ctRows.preprocess))}  all ${fmt(min(ctRows.both))} (minima)\n`);
  out.write(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores\n`);

  await bare.release();
  await registry.onModuleDestroy();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
