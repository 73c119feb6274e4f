/**
 * Converts a DICOM DA value (YYYYMMDD, or the ACR-NEMA YYYY.MM.DD form) to an ISO date, or undefined when
 * it is empty or not a real calendar date (20250230 is dropped, not passed on).
 */
export function dicomDateToIso(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1800 || month < 1 || month > 12 || day < 1) return undefined;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** ISO date (YYYY-MM-DD) back to DICOM DA (YYYYMMDD). */
export function isoToDicomDate(iso: string): string {
  return iso.replace(/-/g, '');
}
