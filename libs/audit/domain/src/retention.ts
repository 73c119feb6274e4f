/** How long PHI-bearing columns are kept, and how often the purge runs. */
export interface RetentionPolicy {
  /** 0 = keep forever (no purge). */
  days: number;
  /** 0 = no periodic job (the command still works). */
  intervalMs: number;
}

const DEFAULT_INTERVAL_MS = 60 * 60_000;

function wholeNumber(name: string, raw: string | undefined): number | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number`);
  return Number(v);
}

/**
 * AUDIT_RETENTION_DAYS (default 0: keep forever) and AUDIT_RETENTION_INTERVAL_MS (default one hour when
 * a retention period is set; 0 = no periodic job).
 */
export function retentionPolicy(env: Record<string, string | undefined>): RetentionPolicy {
  const days = wholeNumber('AUDIT_RETENTION_DAYS', env.AUDIT_RETENTION_DAYS) ?? 0;
  const intervalMs = wholeNumber('AUDIT_RETENTION_INTERVAL_MS', env.AUDIT_RETENTION_INTERVAL_MS) ?? (days > 0 ? DEFAULT_INTERVAL_MS : 0);
  return { days, intervalMs };
}

/** Rows whose clinical time is before this instant are past retention; undefined when nothing expires. */
export function retentionCutoff(policy: Pick<RetentionPolicy, 'days'>, now: Date): Date | undefined {
  return policy.days > 0 ? new Date(now.getTime() - policy.days * 86_400_000) : undefined;
}
