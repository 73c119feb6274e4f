import { withPacemaker } from '@triage/messaging';
import { generateChestXrayStudy, generateHeadCtStudy } from '@triage/samples';
import { inferenceHarness, type InferenceHarness } from './model-fixture.spec-helper';
import { studyEnvelope } from './study-fixture.spec-helper';

// Each file builds the reference models once and loads them; on a busy 2-core machine that outlasts 5 s.
jest.setTimeout(60_000);

const CT = '1.2.840.10008.5.1.4.1.1.2';
const DX = '1.2.840.10008.5.1.4.1.1.1.1';

/** The runtime around the models: fan-out, the execution queue, the run timeout, the consumer heartbeat. */
describe('InferenceService runtime', () => {
  let h: InferenceHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });
  const chest = (x: InferenceHarness) => studyEnvelope(x.source, [{ modality: 'DX', bodyPart: 'CHEST', sopClassUid: DX, files: generateChestXrayStudy().files }]);
  const head = (x: InferenceHarness, slices: number) =>
    studyEnvelope(x.source, [{ modality: 'CT', bodyPart: 'HEAD', sopClassUid: CT, files: generateHeadCtStudy({ haemorrhage: true, slices }).files }]);

  it('fans a study out to every applicable model, fetching each instance once, results in registry order', async () => {
    h = await inferenceHarness({ maxConcurrentRuns: 2 });
    const out = await h.service.runStudy(chest(h).payload);
    expect(out.runs.map((r) => [r.modelId, r.status])).toEqual([
      ['cxr-reference', 'succeeded'],
      ['cxr18-convention-reference', 'succeeded'],
    ]);
    expect(h.source.calls).toBe(1);
  });

  it('hands the study back for a later retry (retryable OVERLOADED) when the execution queue is full', async () => {
    // One slot and no waiting room: the second chest model's execution finds the queue full.
    h = await inferenceHarness({ maxConcurrentRuns: 1, queueLimit: 0 });
    await expect(h.service.handleStudyReceived(chest(h))).rejects.toMatchObject({ code: 'OVERLOADED', retryable: true });
    expect(h.publisher.published).toHaveLength(0);
  });

  it('fails a run that passes INFERENCE_RUN_TIMEOUT_MS at the next slice, reporting it (not retried)', async () => {
    h = await inferenceHarness({ runTimeoutMs: 0 });
    const out = await h.service.handleStudyReceived(head(h, 4));
    expect(out.payload.runs[0]).toMatchObject({ modelId: 'head-ct-hyperdensity', status: 'failed', findings: [] });
    expect(out.payload.runs[0].error).toMatch(/InferenceException: model head-ct-hyperdensity@1.1.0 ran past 0 ms after 0 of 4 slices/);
  });

  it('keeps the event loop free during a 40-slice run, so the transport pacemaker keeps heartbeating', async () => {
    h = await inferenceHarness();
    const env = head(h, 40);
    let beats = 0;
    const service = h.service;
    const out = await withPacemaker({ heartbeat: async () => void (beats += 1) }, 5, () => service.runStudy(env.payload));
    expect(out.runs[0]).toMatchObject({ status: 'succeeded' });
    expect(beats).toBeGreaterThan(0);
  });
});
