/** Coarse age bands for quality subgroups: wide enough that a band never singles out a patient (90+ sits in 65+). */
export const AGE_BANDS = ['0-17', '18-39', '40-64', '65+', 'unknown'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(date: string): [number, number, number] | undefined {
  const m = ISO_DATE.exec(date);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Whole years between a birth date and the study date (both ISO dates), or undefined when either is unusable. */
export function ageInYears(birthDate: string | undefined, atDate: string | undefined): number | undefined {
  if (!birthDate || !atDate) return undefined;
  const b = parts(birthDate);
  const a = parts(atDate);
  if (!b || !a) return undefined;
  let years = a[0] - b[0];
  if (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])) years -= 1;
  return years >= 0 && years < 150 ? years : undefined;
}

/** The age band of a patient at the study; 'unknown' without a usable birth date. */
export function ageBandOf(birthDate: string | undefined, atDate: string | undefined): AgeBand {
  const age = ageInYears(birthDate, atDate);
  if (age === undefined) return 'unknown';
  if (age < 18) return '0-17';
  if (age < 40) return '18-39';
  if (age < 65) return '40-64';
  return '65+';
}

/** The de-identified facts of a study that quality figures group by (no names, ids or dates). */
export interface StudyDemographics {
  ageBand: AgeBand;
  /** PatientSex (M, F, O) or null when unknown. */
  sex: string | null;
  site: string | null;
}

/** The subset of a contract StudyRef the demographics need. */
export interface StudyDemographicsSource {
  studyDate?: string;
  receivedAt: string;
  patient: { birthDate?: string; sex?: string };
  context: { site?: string };
}

/** De-identified demographics of a study: age band at the study date (else the arrival date), sex, site. */
export function studyDemographics(study: StudyDemographicsSource): StudyDemographics {
  const at = study.studyDate ?? study.receivedAt.slice(0, 10);
  const sex = study.patient.sex && study.patient.sex !== 'U' ? study.patient.sex : null;
  return { ageBand: ageBandOf(study.patient.birthDate, at), sex, site: study.context.site ?? null };
}
