import { buildStowResponse, stowHttpStatus, StowFailureReason } from './stow-response.builder';

describe('buildStowResponse', () => {
  it('lists stored and failed instances with PS3.18 tags and reason codes', () => {
    const res = buildStowResponse({
      studyRetrieveUrl: 'http://h/dicomweb/studies/1.2',
      stored: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3', retrieveUrl: 'http://h/dicomweb/studies/1.2/series/1.2.4/instances/1.2.3' }],
      failed: [
        { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.5', reason: StowFailureReason.DataSetMismatch },
        { reason: StowFailureReason.CannotUnderstand },
      ],
    });
    expect(res['00081190']).toEqual({ vr: 'UR', Value: ['http://h/dicomweb/studies/1.2'] });
    expect(res['00081199']).toEqual({
      vr: 'SQ',
      Value: [
        {
          '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
          '00081155': { vr: 'UI', Value: ['1.2.3'] },
          '00081190': { vr: 'UR', Value: ['http://h/dicomweb/studies/1.2/series/1.2.4/instances/1.2.3'] },
        },
      ],
    });
    const failed = res['00081198'].Value as Array<Record<string, { Value?: unknown[] }>>;
    expect(failed.map((f) => f['00081197'].Value)).toEqual([[0xa900], [0xc000]]);
    expect(failed[1]['00081155']).toEqual({ vr: 'UI' });
  });

  it('leaves out empty sequences', () => {
    const res = buildStowResponse({ stored: [], failed: [{ reason: StowFailureReason.OutOfResources }] });
    expect(res['00081199']).toBeUndefined();
    expect((res['00081198'].Value as Array<Record<string, { Value?: unknown[] }>>)[0]['00081197'].Value).toEqual([0xa700]);
  });

  it('answers 200 only when everything was stored', () => {
    expect(stowHttpStatus(3, 0)).toBe(200);
    expect(stowHttpStatus(3, 1)).toBe(409);
    expect(stowHttpStatus(0, 2)).toBe(409);
    expect(StowFailureReason.ProcessingFailure).toBe(0x0110);
  });
});
