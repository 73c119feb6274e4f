import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { E2E_PATIENT } from './phi';

const run = promisify(execFile);

/** An ORM^O01 (IHE SWF layout) for the e2e patient, STAT from the emergency department. */
export function statEdOrder(controlId: string, accession: string): string {
  const obr = ['OBR', '1', `PO-${accession}`, '', 'CTHEAD^CT Head', ...Array(11).fill(''), '4711^HOUSE^GREGORY', '', accession, ...Array(12).fill(''), '^Suspected pneumothorax'];
  return [
    `MSH|^~\\&|RIS|GENERAL|MESH|TELE|20261201100000||ORM^O01|${controlId}|P|2.5.1`,
    `PID|1||${E2E_PATIENT.id}^^^GENERAL^MR||${E2E_PATIENT.name}||${E2E_PATIENT.birthDate}|F`,
    'PV1|1|E|ED^^^GENERAL',
    `ORC|NW|PO-${accession}|||||^^^^^S`,
    obr.join('|'),
  ].join('\r');
}

/** mllp_send from Debian python3-hl7: the sender a RIS integration engineer would test with. Returns MSA. */
export async function mllpSend(port: number, message: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-mllp-'));
  writeFileSync(join(dir, 'm.hl7'), Buffer.concat([Buffer.from([0x0b]), Buffer.from(message), Buffer.from([0x1c, 0x0d])]));
  const { stdout } = await run('/usr/bin/mllp_send', ['-p', String(port), '-f', join(dir, 'm.hl7'), '127.0.0.1'], { env: { ...process.env, TCP_NODELAY: '1' } });
  rmSync(dir, { recursive: true, force: true });
  return stdout.split(/[\r\n]/).find((s) => s.includes('MSA|')) ?? stdout;
}

/** Log lines that carry order free text or the ordering provider (never allowed in logs). */
export function orderTextLeaks(lines: string[]): string[] {
  return lines.filter((l) => l.includes('pneumothorax') || l.includes('HOUSE'));
}
