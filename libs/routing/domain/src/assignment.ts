import type { StudyRef } from '@triage/contracts';
import type { PriorityDecision, Reason } from './priority-engine';
import type { Claim, Reader, Subspecialty } from './reader.schema';
import { onShift } from './shift';

export type AssignmentTarget = { kind: 'reader'; readerId: string } | { kind: 'pool'; pool: 'general' };

export interface Assignment {
  target: AssignmentTarget;
  /** Every step of the policy that shaped the outcome, in order; plain words, no patient data. */
  reasons: Reason[];
}

export interface AssignmentOptions {
  /** Site code → jurisdiction, for licences granted per jurisdiction. */
  jurisdictions?: Readonly<Record<string, string>>;
}

const SUBSPECIALTY_BY_PART: Record<string, Subspecialty> = {};
const PARTS: Array<[Subspecialty, string[]]> = [
  ['neuro', ['HEAD', 'BRAIN', 'SKULL', 'NECK', 'SPINE', 'CSPINE', 'TSPINE', 'LSPINE', 'IAC', 'ORBIT']],
  ['chest', ['CHEST', 'LUNG', 'THORAX', 'HEART']],
  ['body', ['ABDOMEN', 'PELVIS', 'ABDOMENPELVIS', 'ABDPELVIS', 'LIVER', 'KIDNEY', 'PANCREAS']],
  ['msk', ['KNEE', 'SHOULDER', 'HAND', 'FOOT', 'ANKLE', 'HIP', 'ELBOW', 'WRIST', 'EXTREMITY', 'LEG', 'ARM', 'FEMUR']],
  ['breast', ['BREAST']],
];
for (const [s, parts] of PARTS) for (const p of parts) SUBSPECIALTY_BY_PART[p] = s;

/** The subspecialty a study needs, from its body part (mammography is breast); `general` when unknown. */
export function subspecialtyFor(study: StudyRef): Subspecialty {
  if (study.modalities.includes('MG')) return 'breast';
  return SUBSPECIALTY_BY_PART[(study.bodyPart ?? '').toUpperCase()] ?? 'general';
}

/** Reading effort per modality, relative to a radiograph; a study weighs as its heaviest modality. */
export const MODALITY_WEIGHTS: Readonly<Record<string, number>> = { MR: 3, PT: 3, CT: 2, NM: 2, MG: 1.5, US: 1.5, XA: 1.5, CR: 1, DX: 1 };

/** Workload weight of a study (1 for unknown modalities). */
export function studyWeight(study: StudyRef): number {
  return Math.max(1, ...study.modalities.map((m) => MODALITY_WEIGHTS[m] ?? 1));
}

const NEURO_EMERGENCY_PARTS = ['HEAD', 'BRAIN', 'SKULL'];

/** Head CT or MR that is Critical or from the emergency department. */
export function isNeuroEmergency(study: StudyRef, decision: PriorityDecision): boolean {
  const head = NEURO_EMERGENCY_PARTS.includes((study.bodyPart ?? '').toUpperCase());
  const crossSectional = study.modalities.some((m) => m === 'CT' || m === 'MR');
  return head && crossSectional && (decision.priority === 'critical' || study.context.patientClass === 'emergency');
}

/** Whether the reader holds a licence, valid at `now`, for the site (directly or through its jurisdiction). */
export function isLicensed(reader: Reader, site: string | undefined, now: Date, options: AssignmentOptions = {}): boolean {
  if (site === undefined) return false;
  const jurisdiction = options.jurisdictions?.[site];
  return reader.licences.some(
    (l) =>
      (l.validUntil === undefined || now < new Date(l.validUntil)) &&
      (l.site === site || (l.jurisdiction !== undefined && l.jurisdiction === jurisdiction)),
  );
}

/** Claims still held at `now` (a claim expiring exactly now no longer counts). */
function activeClaims(claims: readonly Claim[], now: Date): Claim[] {
  return claims.filter((c) => now < new Date(c.expiresAt));
}

interface Load {
  weight: number;
  count: number;
}

function loads(claims: readonly Claim[]): Map<string, Load> {
  const m = new Map<string, Load>();
  for (const c of claims) {
    const l = m.get(c.readerId) ?? { weight: 0, count: 0 };
    m.set(c.readerId, { weight: l.weight + c.weight, count: l.count + 1 });
  }
  return m;
}

type Step = { id: string; text: string; keep: (r: Reader) => boolean };

/** Runs the filters in policy order; stops at the first that leaves nobody and says which. */
function funnel(candidates: Reader[], steps: Step[]): { left: Reader[]; reasons: Reason[]; emptiedBy?: Step } {
  const reasons: Reason[] = [];
  let left = candidates;
  for (const step of steps) {
    left = left.filter(step.keep);
    if (left.length === 0) return { left, reasons, emptiedBy: step };
    reasons.push({ ruleId: step.id, text: `${step.text}: ${left.length} reader${left.length === 1 ? '' : 's'}` });
  }
  return { left, reasons };
}

const loadOf = (load: Map<string, Load>, r: Reader): Load => load.get(r.id) ?? { weight: 0, count: 0 };

// Deterministic: least weighted load, then fewest studies, then reader id.
function byLoad(readers: Reader[], load: Map<string, Load>): Reader[] {
  const of = (r: Reader) => loadOf(load, r);
  return [...readers].sort((a, b) => of(a).weight - of(b).weight || of(a).count - of(b).count || a.id.localeCompare(b.id));
}

function pick(left: Reader[], load: Map<string, Load>): { reader: Reader; reason: Reason } {
  const [reader] = byLoad(left, load);
  const l = loadOf(load, reader);
  return { reader, reason: { ruleId: 'assign-workload', text: `Least current workload: reader ${reader.id} (weighted ${l.weight}, ${l.count} open)` } };
}

/**
 * Assigns a study under the routing policy. Neuro emergencies go to a neuroradiologist who is licensed for
 * the site, on shift and under their cap, else to the general pool. Other Critical and Urgent studies go
 * through subspecialty (falling back to general readers), licence, shift and cap, then the least weighted
 * workload. Routine studies go to the general pool, where qualified readers claim them. A study whose
 * site is unknown goes to the pool: a licence cannot be checked without it.
 */
export function assign(
  study: StudyRef,
  decision: PriorityDecision,
  readers: readonly Reader[],
  workload: readonly Claim[],
  now: Date,
  options: AssignmentOptions = {},
): Assignment {
  const site = study.context.site;
  const load = loads(activeClaims(workload, now));
  const toPool = (reasons: Reason[]): Assignment => ({ target: { kind: 'pool', pool: 'general' }, reasons });
  const common = (): Step[] => [
    { id: 'assign-licence', text: `Licensed for site ${site}`, keep: (r) => isLicensed(r, site, now, options) },
    { id: 'assign-shift', text: 'On shift', keep: (r) => onShift(r, now) },
    { id: 'assign-capacity', text: 'Under their concurrent cap', keep: (r) => (load.get(r.id)?.count ?? 0) < r.maxConcurrent },
  ];
  const emptied = (step: Step, who: string) => `no ${who} is ${step.text.charAt(0).toLowerCase()}${step.text.slice(1)}`;

  if (isNeuroEmergency(study, decision)) {
    const head = `Neuro emergency (${study.modalities.join('/')} ${study.bodyPart}, ${decision.priority}, ${study.context.patientClass})`;
    if (site === undefined) return toPool([{ ruleId: 'assign-neuro-emergency', text: `${head} but the study has no site: sent to the general pool` }]);
    const neuro = readers.filter((r) => r.subspecialties.includes('neuro'));
    const f = funnel(neuro, [{ id: 'assign-subspecialty', text: 'Neuroradiologist', keep: () => true }, ...common()]);
    if (f.emptiedBy) {
      const why = f.emptiedBy.id === 'assign-subspecialty' ? 'no neuroradiologist in the directory' : emptied(f.emptiedBy, 'neuroradiologist');
      return toPool([{ ruleId: 'assign-neuro-emergency', text: `${head} but ${why}: sent to the general pool` }]);
    }
    const p = pick(f.left, load);
    return { target: { kind: 'reader', readerId: p.reader.id }, reasons: [{ ruleId: 'assign-neuro-emergency', text: `${head}: to a neuroradiologist` }, ...f.reasons, p.reason] };
  }

  if (decision.priority === 'routine') {
    return toPool([{ ruleId: 'assign-routine', text: 'Routine: placed in the general pool for qualified readers to claim' }]);
  }
  if (site === undefined) return toPool([{ ruleId: 'assign-licence', text: 'The study has no site, so no licence can be checked: sent to the general pool' }]);

  const need = subspecialtyFor(study);
  const specialists = readers.filter((r) => r.subspecialties.includes(need));
  const trySet = (pool: Reader[], label: string) =>
    funnel(pool, [{ id: 'assign-subspecialty', text: label, keep: () => true }, ...common()]);
  let f = trySet(specialists, `Subspecialty ${need}`);
  const lead: Reason[] = [];
  if (f.emptiedBy && need !== 'general') {
    const why = f.emptiedBy.id === 'assign-subspecialty' ? `no ${need} reader in the directory` : emptied(f.emptiedBy, `${need} reader`);
    lead.push({ ruleId: 'assign-subspecialty', text: `${why}: falling back to general readers` });
    f = trySet(
      readers.filter((r) => r.subspecialties.includes('general')),
      'General reader',
    );
  }
  if (f.emptiedBy) {
    const why = f.emptiedBy.id === 'assign-subspecialty' ? 'no qualified reader in the directory' : emptied(f.emptiedBy, 'qualified reader');
    return toPool([...lead, { ruleId: 'assign-pool', text: `${why}: sent to the general pool` }]);
  }
  const p = pick(f.left, load);
  return { target: { kind: 'reader', readerId: p.reader.id }, reasons: [...lead, ...f.reasons, p.reason] };
}

/**
 * Readers qualified for the study at `now` (its subspecialty, else general readers; licensed for its site;
 * on shift; under their cap), least loaded first. Escalation uses it to find the next reader to call.
 */
export function rankQualified(
  study: StudyRef,
  readers: readonly Reader[],
  workload: readonly Claim[],
  now: Date,
  options: AssignmentOptions = {},
): Reader[] {
  const site = study.context.site;
  const load = loads(activeClaims(workload, now));
  const ok = (r: Reader) => isLicensed(r, site, now, options) && onShift(r, now) && loadOf(load, r).count < r.maxConcurrent;
  const need = subspecialtyFor(study);
  let left = readers.filter((r) => r.subspecialties.includes(need) && ok(r));
  if (left.length === 0 && need !== 'general') left = readers.filter((r) => r.subspecialties.includes('general') && ok(r));
  return byLoad(left, load);
}

/** A claim of `study` by a reader from `now` for `ttlMinutes`. */
export function claimStudy(study: StudyRef, readerId: string, now: Date, ttlMinutes = 30): Claim {
  return {
    studyInstanceUid: study.studyInstanceUid,
    readerId,
    claimedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMinutes * 60_000).toISOString(),
    weight: studyWeight(study),
  };
}

/** Splits claims at `now`: expired ones (their studies go back to the pool) and those still held. */
export function expireClaims(claims: readonly Claim[], now: Date): { expired: Claim[]; active: Claim[] } {
  const active = activeClaims(claims, now);
  return { expired: claims.filter((c) => !active.includes(c)), active };
}
