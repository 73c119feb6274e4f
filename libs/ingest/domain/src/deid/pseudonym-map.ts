/** One pseudonym the mesh handed out: kind, the original value (PHI) and its replacement. */
export interface PseudonymEntry {
  kind: 'uid' | 'patient';
  original: string;
  pseudonym: string;
}

/**
 * The reversible pseudonym map, in memory: UIDs become fresh 2.25 UIDs (random, so not derivable from
 * the original), patients become `ANON-` plus 16 random hex digits. New entries wait in `drain()` until
 * the caller has stored them durably; only then may the de-identified data leave the mesh.
 */
export class PseudonymMap {
  private readonly forward = new Map<string, string>();
  private readonly reverse = new Map<string, PseudonymEntry>();
  private fresh: PseudonymEntry[] = [];

  constructor(private readonly random: (bytes: number) => Buffer) {}

  load(entries: Iterable<PseudonymEntry>): void {
    for (const e of entries) this.remember(e);
  }

  uid(original: string): string {
    return this.lookup('uid', original, () => `2.25.${BigInt(`0x${this.random(16).toString('hex')}`).toString(10)}`);
  }

  patient(patientId: string | undefined, issuer: string | undefined): string {
    return this.lookup('patient', `${issuer ?? ''}|${patientId ?? ''}`, () => `ANON-${this.random(8).toString('hex').toUpperCase()}`);
  }

  /** The original behind a pseudonym (re-identification, for results coming back). */
  original(pseudonym: string): PseudonymEntry | undefined {
    return this.reverse.get(pseudonym);
  }

  /** Entries created since the last call: store them before releasing what uses them. */
  drain(): PseudonymEntry[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /** Puts entries back after a failed store, so the next attempt stores them. */
  undrain(entries: PseudonymEntry[]): void {
    this.fresh = [...entries, ...this.fresh];
  }

  private lookup(kind: PseudonymEntry['kind'], original: string, make: () => string): string {
    const key = `${kind}\n${original}`;
    const known = this.forward.get(key);
    if (known) return known;
    let pseudonym = make();
    while (this.reverse.has(pseudonym)) pseudonym = make();
    const entry = { kind, original, pseudonym };
    this.remember(entry);
    this.fresh.push(entry);
    return pseudonym;
  }

  private remember(e: PseudonymEntry): void {
    this.forward.set(`${e.kind}\n${e.original}`, e.pseudonym);
    this.reverse.set(e.pseudonym, e);
  }
}
