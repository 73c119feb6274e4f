import { z } from 'zod';

export const SubspecialtySchema = z.enum(['neuro', 'chest', 'body', 'msk', 'breast', 'paediatric', 'general']);
export type Subspecialty = z.infer<typeof SubspecialtySchema>;

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');

/** A licence to read for one site, or for every site in a jurisdiction (e.g. a US state, a country). */
export const LicenceSchema = z
  .object({
    site: z.string().min(1).max(64).optional(),
    jurisdiction: z.string().min(1).max(64).optional(),
    validUntil: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((l) => l.site !== undefined || l.jurisdiction !== undefined, 'a licence names a site or a jurisdiction');
export type Licence = z.infer<typeof LicenceSchema>;

/**
 * A shift: a weekly window in a time zone (`end` before `start` runs past midnight into the next day;
 * `days` are the days the window starts), or an explicit on-call interval.
 */
export const ShiftSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('weekly'),
      timeZone: z.string().refine(isTimeZone, 'unknown IANA time zone'),
      days: z.array(z.enum(WEEKDAYS)).min(1),
      start: HhMm,
      end: HhMm,
    })
    .strict(),
  z
    .object({ kind: z.literal('on-call'), from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
    .strict()
    .refine((s) => new Date(s.from) < new Date(s.to), 'on-call interval ends before it starts'),
]);
export type Shift = z.infer<typeof ShiftSchema>;

export const ReaderSchema = z
  .object({
    id: z.string().min(1).max(64),
    name: z.string().min(1).max(128),
    subspecialties: z.array(SubspecialtySchema).min(1),
    licences: z.array(LicenceSchema),
    shifts: z.array(ShiftSchema),
    maxConcurrent: z.number().int().positive().max(500),
    /** Last step of an escalation chain. */
    supervisor: z.boolean().default(false),
  })
  .strict();
export type Reader = z.infer<typeof ReaderSchema>;

/** An open assignment: a reader holds a study until the claim expires. */
export const ClaimSchema = z
  .object({
    studyInstanceUid: z.string().min(1).max(64),
    readerId: z.string().min(1).max(64),
    claimedAt: z.iso.datetime({ offset: true }),
    expiresAt: z.iso.datetime({ offset: true }),
    /** Workload weight of the study (see `studyWeight`). */
    weight: z.number().positive(),
  })
  .strict()
  .refine((c) => new Date(c.claimedAt) < new Date(c.expiresAt), 'claim expires before it is made');
export type Claim = z.infer<typeof ClaimSchema>;

/** Parses a reader directory (JSON already decoded); throws with every problem listed. */
export function parseReaders(doc: unknown): Reader[] {
  const parsed = z.array(ReaderSchema).safeParse(doc);
  if (!parsed.success) {
    throw new Error(`invalid reader directory: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const ids = parsed.data.map((r) => r.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new Error(`invalid reader directory: duplicate reader id ${dup}`);
  return parsed.data;
}
