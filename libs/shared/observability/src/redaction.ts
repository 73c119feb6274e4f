/**
 * Keys that hold patient data anywhere in a logged object. pino's redaction replaces their values,
 * so a careless `log.info({ study })` still writes no PHI.
 */
export const PHI_KEYS = [
  'patient',
  'patientName',
  'patientId',
  'patientID',
  'PatientName',
  'PatientID',
  'birthDate',
  'PatientBirthDate',
  'issuer',
  'address',
  'telecom',
  'name',
  'reasonForExam',
  'orderingProvider',
  'accessionNumber',
  'AccessionNumber',
  'subject',
  'diagnosticReport',
  'payload',
  'body',
  'authorization',
  'cookie',
] as const;

/** pino redact paths for PHI_KEYS at the top level and up to three levels deep. */
export function phiRedactPaths(): string[] {
  const out: string[] = [];
  for (const key of PHI_KEYS) {
    out.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  return out;
}

export const REDACTED = '[REDACTED]';
