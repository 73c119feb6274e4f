import { CodingSchema, DicomUidSchema } from '@triage/contracts';
import { z } from 'zod';
import { RoutingErrorCode, RoutingException } from '../routing.exception';

const ReaderId = z.string().min(1).max(64);

export const ReaderActionSchema = z.object({ readerId: ReaderId }).strict();

export const ReadSchema = z
  .object({
    readerId: ReaderId,
    verdicts: z.array(z.object({ modelId: z.string().min(1).max(128), label: z.string().min(1).max(64), verdict: z.enum(['confirmed', 'rejected']) }).strict()).max(200),
    impression: z.string().trim().min(1).max(8192),
    conclusionCodes: z.array(CodingSchema).max(50).default([]),
    /** Drafts are not stored: a read is recorded when it is signed. */
    sign: z.literal(true, { error: 'a read is recorded when signed: send "sign": true' }),
  })
  .strict();
export type ReadBody = z.infer<typeof ReadSchema>;

export const WorklistQuerySchema = z
  .object({
    readerId: ReaderId.optional(),
    pool: z.string().min(1).max(64).optional(),
    site: z.string().min(1).max(64).optional(),
    /** With readerId: also the unheld studies of sites the reader is licensed for (what they may claim). */
    includePool: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict()
  .refine((q) => q.readerId === undefined || q.pool === undefined, 'give readerId (a reader\'s list) or pool (a pool\'s unheld studies), not both; neither lists every open study')
  .refine((q) => !q.includePool || q.readerId !== undefined, 'includePool goes with readerId');
export type WorklistQuery = z.infer<typeof WorklistQuerySchema>;

export const SimulateSchema = z
  .object({
    draft: z.unknown(),
    /** Recorded studies to replay; absent = the studies routing holds now. */
    studies: z.array(z.unknown()).max(10_000).optional(),
    onlyChanged: z.boolean().default(false),
  })
  .strict();

/** Parses a request part or answers 400 with every problem (paths and messages only: never the values). */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new RoutingException(RoutingErrorCode.InvalidRequest, `invalid ${what}`, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}

export function parseStudyUid(uid: string): string {
  return parseRequest(DicomUidSchema, uid, 'StudyInstanceUID in the path');
}
