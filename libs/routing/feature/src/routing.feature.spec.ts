import { waitFor } from '@triage/testing';
import { ICH, PATIENT, run, startRouting, study, T0, type RoutingTestApp } from './routing-test.harness';

const ids = (items: Array<{ studyInstanceUid: string }>) => items.map((i) => i.studyInstanceUid);
const noPhi = (lines: string[]) => lines.filter((l) => [PATIENT.id, 'UNITTEST', 'PHINAME', PATIENT.birthDate].some((n) => l.includes(n)));

describe('routing service: decisions, worklist, alerts (in-process bus, real journal, controllable clock)', () => {
  let r: RoutingTestApp;
  beforeEach(async () => {
    r = await startRouting({ env: { ROUTING_ACK_MINUTES: '5,5,10', ROUTING_SILENT_SITES: 'S9' } });
  });
  afterEach(async () => {
    expect(noPhi(r.logLines)).toEqual([]);
    await r.close();
  });

  it('a positive ED head CT overtakes earlier routine studies, goes to the neuroradiologist and raises an alert', async () => {
    const early = [study('cxr', {}, new Date(T0.getTime() - 60 * 60_000)), study('cxr', {}, new Date(T0.getTime() - 30 * 60_000))];
    for (const s of early) await r.send(s, [run([], 'cxr')]);
    const ct = study('head-ct', { patientClass: 'emergency' }, T0);
    const env = await r.send(ct, [run([ICH])]);

    const all = await r.http('GET', '/worklist?site=S1');
    expect(ids(all.body.items)).toEqual([ct.studyInstanceUid, ...early.map((s) => s.studyInstanceUid)]);
    expect(all.body.items[0]).toMatchObject({ priority: 'critical', ruleSetVersion: '2026.11.0', holder: { readerId: 'neo', kind: 'assigned' } });
    expect(all.body.items[0].reasons[0].text).toBe('AI pre-read flags Intracranial hemorrhage (probability 0.93, threshold 0.50, model head-ct-hyperdensity 1.0.0)');
    expect(ids((await r.http('GET', '/worklist?pool=general')).body.items)).toEqual(early.map((s) => s.studyInstanceUid));
    expect(ids((await r.http('GET', '/worklist?readerId=neo')).body.items)).toEqual([ct.studyInstanceUid]);
    expect(ids((await r.http('GET', '/worklist?readerId=neo&includePool=true')).body.items)).toEqual([ct.studyInstanceUid, ...early.map((s) => s.studyInstanceUid)]);
    expect((await r.http('GET', '/worklist?pool=general&includePool=true')).body.problems).toEqual(['(root): includePool goes with readerId']);

    await waitFor(() => r.events.alerts.length === 1 && r.events.assignments.length === 3, { description: 'alert and assignments' });
    const decided = r.events.decided.find((e) => e.subject === ct.studyInstanceUid)!;
    expect(decided.payload).toMatchObject({ priority: 'critical', score: 150, ruleSetVersion: '2026.11.0' });
    const assigned = r.events.assignments.find((e) => e.subject === ct.studyInstanceUid)!;
    expect(assigned.payload).toMatchObject({ action: 'assigned', reader: { id: 'neo' }, silent: false });
    expect(assigned.payload.reasons[0].text).toBe('Neuro emergency (CT HEAD, critical, emergency): to a neuroradiologist');
    expect(r.events.alerts[0].payload).toMatchObject({ action: 'raised', step: 0, recipient: { id: 'neo' }, role: 'assigned-reader', ackDeadline: '2026-11-23T10:05:00.000Z' });

    // Redelivery of the same inference.completed publishes the same priority.decided again (same id) and nothing else.
    await r.send(ct, [run([ICH])], env.eventId);
    await r.tick();
    await waitFor(() => r.events.decided.filter((e) => e.subject === ct.studyInstanceUid).length === 2, { description: 're-published decision' });
    expect(new Set(r.events.decided.filter((e) => e.subject === ct.studyInstanceUid).map((e) => e.eventId)).size).toBe(1);
    expect(r.events.alerts).toHaveLength(1);
    expect(r.events.assignments).toHaveLength(3);
  });

  it('escalates along the chain on the clock until acknowledged, then stops', async () => {
    const ct = study('head-ct', { patientClass: 'emergency' }, T0);
    await r.send(ct, [run([ICH])]);
    const alertId = r.events.alerts[0]?.payload.alertId ?? (await waitFor(() => r.events.alerts[0])).payload.alertId;
    r.advance(4);
    await r.tick();
    expect(r.events.alerts).toHaveLength(1);
    r.advance(2); // past the assigned reader's 5 minutes
    await r.tick();
    await waitFor(() => r.events.alerts.length === 2, { description: 'escalation' });
    expect(r.events.alerts[1].payload).toMatchObject({ action: 'escalated', step: 1, recipient: { id: 'gen' }, role: 'next-qualified-reader' });

    const notNotified = await r.http('POST', `/alerts/${alertId}/acknowledge`, { readerId: 'boss' });
    expect(notNotified.status).toBe(403);
    expect(notNotified.body.error).toBe('NOT_IN_CHAIN');
    const ack = await r.http('POST', `/alerts/${alertId}/acknowledge`, { readerId: 'gen' });
    expect(ack.status).toBe(200);
    expect(ack.body.acknowledged).toEqual({ readerId: 'gen', at: '2026-11-23T10:06:00.000Z' });
    await waitFor(() => r.events.alerts.length === 3, { description: 'acknowledged event' });
    expect(r.events.alerts[2].payload).toMatchObject({ action: 'acknowledged', acknowledgedBy: { id: 'gen' } });
    r.advance(60);
    await r.tick();
    expect(r.events.alerts).toHaveLength(3);
    expect((await r.http('GET', '/alerts')).body.alerts).toEqual([]);
  });

  it('claims, releases and signs with clear 4xx answers', async () => {
    const cxr = study('cxr', {}, T0);
    await r.send(cxr, [run([{ ...ICH, label: 'nodule', critical: false, positive: false, probability: 0.1 }], 'cxr')]);
    const uid = cxr.studyInstanceUid;
    expect((await r.http('POST', `/worklist/${uid}/claim`, {})).status).toBe(400);
    expect((await r.http('POST', `/worklist/${uid}/claim`, { readerId: 'nobody' })).body.error).toBe('UNKNOWN_READER');
    expect((await r.http('POST', '/worklist/not-a-uid/claim', { readerId: 'gen' })).status).toBe(400);
    expect((await r.http('POST', '/worklist/1.2.3.4/claim', { readerId: 'gen' })).status).toBe(404);
    expect((await r.http('GET', '/worklist?readerId=gen&pool=general')).status).toBe(400);

    const claimed = await r.http('POST', `/worklist/${uid}/claim`, { readerId: 'gen' });
    expect(claimed.status).toBe(200);
    expect(claimed.body.holder).toEqual({ readerId: 'gen', kind: 'claimed', expiresAt: '2026-11-23T11:00:00.000Z' });
    const conflict = await r.http('POST', `/worklist/${uid}/claim`, { readerId: 'neo' });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: 'ALREADY_HELD', message: `study ${uid} is claimed to reader gen until 2026-11-23T11:00:00.000Z` });
    expect((await r.http('POST', `/worklist/${uid}/release`, { readerId: 'neo' })).status).toBe(409);

    const badRead = await r.http('POST', `/worklist/${uid}/read`, { readerId: 'gen', verdicts: [], impression: 'No acute finding.', sign: true });
    expect(badRead.status).toBe(400);
    expect(badRead.body.problems).toEqual(['missing verdict for nodule of model cxr']);
    const unsigned = await r.http('POST', `/worklist/${uid}/read`, { readerId: 'gen', verdicts: [], impression: 'x' });
    expect(unsigned.body.problems).toEqual(['sign: a read is recorded when signed: send "sign": true']);

    const read = { readerId: 'gen', verdicts: [{ modelId: 'cxr', label: 'nodule', verdict: 'confirmed' }], impression: 'No acute cardiopulmonary finding.', sign: true };
    const signed = await r.http('POST', `/worklist/${uid}/read`, read);
    expect(signed.status).toBe(201);
    expect((await r.http('POST', `/worklist/${uid}/read`, read)).body.error).toBe('ALREADY_SIGNED');
    await waitFor(() => r.events.reads.length === 1, { description: 'read.signed' });
    expect(r.events.reads[0].payload).toMatchObject({
      readId: signed.body.readId,
      status: 'final',
      reader: { id: 'gen', display: 'General One' },
      verdicts: [{ label: 'nodule', modelId: 'cxr', aiPositive: false, verdict: 'confirmed' }],
      claimedAt: '2026-11-23T10:00:00.000Z',
    });
    expect(ids((await r.http('GET', '/worklist')).body.items)).toEqual([]);
    const amended = await r.http('POST', `/worklist/${uid}/amend`, { ...read, readerId: 'boss', impression: 'Addendum: small nodule, follow up.' });
    expect(amended.status).toBe(201);
    await waitFor(() => r.events.reads.length === 2, { description: 'amendment' });
    expect(r.events.reads[1].payload).toMatchObject({ status: 'amended', reader: { id: 'boss' } });
  });

  it('returns expired assignments to the pool and promotes studies waiting past their service level', async () => {
    const ct = study('head-ct', { patientClass: 'emergency' }, T0);
    await r.send(ct, [run([ICH])]);
    const cxr = study('cxr', {}, T0);
    await r.send(cxr, [run([], 'cxr')]);
    r.advance(16); // the assignment TTL is 15 minutes
    await r.tick();
    await waitFor(() => r.events.assignments.some((e) => e.payload.action === 'expired'), { description: 'expiry' });
    const expired = r.events.assignments.find((e) => e.payload.action === 'expired')!.payload;
    expect(expired).toMatchObject({ pool: 'general', reasons: [{ ruleId: 'claim-expired', text: 'The assignment of reader neo expired at 2026-11-23T10:15:00.000Z: back to the general pool' }] });
    expect(expired.reader).toBeUndefined();
    expect(ids((await r.http('GET', '/worklist?pool=general')).body.items)).toEqual([ct.studyInstanceUid, cxr.studyInstanceUid]);

    r.advance(24 * 60); // the routine service level is 24 h
    await r.tick();
    await waitFor(() => r.events.decided.some((e) => e.subject === cxr.studyInstanceUid && e.payload.priority === 'urgent'), { description: 'promotion' });
    const promoted = r.events.decided.find((e) => e.subject === cxr.studyInstanceUid && e.payload.priority === 'urgent')!;
    expect(promoted.payload.reasons[0]).toEqual({ ruleId: 'sla-routine', text: 'Waited 24 h 16 min, past the routine service level of 24 h: promoted to urgent' });
  });

  it('re-scores a study when its order context changes (study.updated)', async () => {
    const cxr = study('cxr', {}, T0);
    await r.update(cxr, 1); // before its inference result: nothing to re-score
    expect(r.events.decided).toEqual([]);
    await r.send(cxr, [run([], 'cxr')]);
    await r.update(cxr, 2); // late instances, nothing routing decides on changed: no new event
    await r.update({ ...cxr, context: { ...cxr.context, orderPriority: 'stat' } }, 3);
    await waitFor(() => r.events.decided.length === 2 && r.events.assignments.length === 2, { description: 're-decision' });
    expect(r.events.decided.map((e) => [e.payload.priority, e.payload.reasons[0].ruleId])).toEqual([
      ['routine', 'fallback'],
      ['urgent', 'stat-order'],
    ]);
    expect(r.events.assignments[1].payload).toMatchObject({ action: 'reassigned', reader: { id: 'gen' }, priority: 'urgent' });
    expect((await r.http('GET', '/worklist?readerId=gen')).body.items[0]).toMatchObject({ studyInstanceUid: cxr.studyInstanceUid, priority: 'urgent' });
  });

  it('silent site: decided and audited, worklist placed by context, no alert', async () => {
    const ct = study('head-ct', { patientClass: 'outpatient', site: 'S9' }, T0);
    await r.send(ct, [run([ICH])]);
    await waitFor(() => r.events.assignments.length === 2, { description: 'silent and real assignments' });
    expect(r.events.decided[0].payload.priority).toBe('routine');
    expect(r.events.decided[0].payload.reasons.at(-1)?.text).toBe('Silent mode (site S9): the AI decision critical 100 is recorded, not applied');
    const detail = (await r.http('GET', `/worklist/${ct.studyInstanceUid}`)).body;
    expect(detail).toMatchObject({ priority: 'routine', silent: true, aiDecision: { priority: 'critical', score: 100 }, reads: [] });
    expect(detail.assignmentReasons).toEqual([{ ruleId: 'assign-routine', text: 'Routine: placed in the general pool for qualified readers to claim' }]);
    expect((await r.http('GET', '/worklist/1.2.3.999')).status).toBe(404);
    expect(r.events.assignments.map((e) => [e.payload.silent, e.payload.priority])).toEqual([
      [true, 'critical'],
      [false, 'routine'],
    ]);
    await r.tick();
    expect(r.events.alerts).toEqual([]);
  });
});

describe('routing service restart', () => {
  it('keeps claims, signed reads and open alerts, and does not re-send the alert', async () => {
    const first = await startRouting();
    const ct = study('head-ct', { patientClass: 'emergency' }, T0);
    await first.send(ct, [run([ICH])]);
    const cxr = study('cxr', {}, T0);
    await first.send(cxr, [run([], 'cxr')]);
    expect((await first.http('POST', `/worklist/${cxr.studyInstanceUid}/claim`, { readerId: 'gen' })).status).toBe(200);
    await waitFor(() => first.events.alerts.length === 1, { description: 'alert raised' });
    const before = (await first.http('GET', '/worklist')).body.items;
    await first.close();

    const second = await startRouting({ dataDir: first.dataDir });
    try {
      expect((await second.http('GET', '/worklist')).body.items).toEqual(before);
      const alerts = (await second.http('GET', '/alerts')).body.alerts;
      expect(alerts).toHaveLength(1);
      await second.tick();
      expect(second.events.alerts).toEqual([]);
      expect((await second.http('POST', `/worklist/${cxr.studyInstanceUid}/claim`, { readerId: 'neo' })).status).toBe(409);
    } finally {
      await second.close();
    }
  });
});
