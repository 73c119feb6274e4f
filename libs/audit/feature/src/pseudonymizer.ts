import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pseudonymizer } from '@triage/audit-domain';

/**
 * The secret behind pseudonymous study keys: AUDIT_PSEUDONYM_KEY (at least 32 characters), else a random
 * key kept in `${DATA_DIR}/audit-pseudonym.key` (created on first use, mode 0600), so keys stay stable
 * across restarts and exports. Without the secret a key cannot be traced back to a StudyInstanceUID.
 */
export function loadPseudonymSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.AUDIT_PSEUDONYM_KEY?.trim();
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error('AUDIT_PSEUDONYM_KEY must be at least 32 characters');
    return Buffer.from(fromEnv, 'utf8');
  }
  const file = join(dataDir, 'audit-pseudonym.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    // 'wx': two processes racing to create it cannot overwrite each other's key.
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}

/** HMAC-SHA256 of the study key under the secret, 32 hex digits (128 bits). */
export function hmacPseudonymizer(secret: Buffer): Pseudonymizer {
  return (studyKey) => createHmac('sha256', secret).update(studyKey, 'utf8').digest('hex').slice(0, 32);
}
