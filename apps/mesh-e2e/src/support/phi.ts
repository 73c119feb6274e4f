/** Patient data the e2e studies carry; none of it may appear in any log line. */
export const E2E_PATIENT = { name: 'ZZTESTPATIENT^SECRETNAME', id: 'E2E-PHI-7731', birthDate: '19450607' };

/** Lines of output that contain any of the patient's identifiers. */
export function phiLeaks(lines: string[]): string[] {
  const needles = ['ZZTESTPATIENT', 'SECRETNAME', E2E_PATIENT.id, E2E_PATIENT.birthDate, '1945-06-07'];
  return lines.filter((l) => needles.some((n) => l.includes(n)));
}
