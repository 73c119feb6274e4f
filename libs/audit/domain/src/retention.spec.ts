import { retentionCutoff, retentionPolicy } from './retention';

describe('retention policy', () => {
  it('keeps forever by default; one hour between purges once a period is set', () => {
    expect(retentionPolicy({})).toEqual({ days: 0, intervalMs: 0 });
    expect(retentionPolicy({ AUDIT_RETENTION_DAYS: '2555' })).toEqual({ days: 2555, intervalMs: 3_600_000 });
    expect(retentionPolicy({ AUDIT_RETENTION_DAYS: '30', AUDIT_RETENTION_INTERVAL_MS: '0' })).toEqual({ days: 30, intervalMs: 0 });
    expect(() => retentionPolicy({ AUDIT_RETENTION_DAYS: '30d' })).toThrow(/AUDIT_RETENTION_DAYS must be a whole number/);
  });

  it('the cutoff is the period before now, none without a period', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(retentionCutoff({ days: 30 }, now)).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(retentionCutoff({ days: 0 }, now)).toBeUndefined();
  });
});
