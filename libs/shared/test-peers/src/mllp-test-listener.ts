import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type MllpAnswer = 'AA' | 'AE' | 'AR' | 'none';

/** What the python-hl7 listener recorded for one message (parsed by python-hl7, not by our code). */
export interface ReceivedHl7 {
  controlId: string;
  messageType: string;
  version: string;
  segments: string[];
  pid3: string;
  obx: Array<{ valueType: string; code: string; codeText: string; codeSystem: string; subId: string; value: string; status: string }>;
  /** OBR-1, OBR-3 (filler order number: the accession number) and OBR-25 (result status). */
  obr?: { '1': string; '3': string; '25': string };
  evn?: { '1': string };
  mode: MllpAnswer;
  error?: string;
}

/** Debian's python3-hl7 lives for /usr/bin/python3, not for a pyenv python3 earlier on PATH. */
const PYTHON = '/usr/bin/python3';

/**
 * A real MLLP peer for tests: hl7.mllp (python3-hl7) listening on 127.0.0.1, recording what it receives
 * and answering AA, AE, AR or nothing, switchable while it runs.
 */
export class MllpTestListener {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'mllp-peer-'));
  private readonly recordFile = join(this.dir, 'received.jsonl');
  private readonly modeFile = join(this.dir, 'mode');
  port = 0;

  constructor(
    mode: MllpAnswer = 'AA',
    /** Benchmarks: skip the fsync of the record file after each message. */
    private readonly fsync = true,
  ) {
    this.setMode(mode);
  }

  setMode(mode: MllpAnswer): void {
    writeFileSync(this.modeFile, mode);
  }

  async start(port = this.port): Promise<this> {
    const child = spawn(PYTHON, [join(__dirname, 'mllp_listener.py'), '--port', String(port), '--record', this.recordFile, '--mode-file', this.modeFile, ...(this.fsync ? [] : ['--no-fsync'])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`MLLP listener did not start: ${stderr}`)), 10_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /LISTENING (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`MLLP listener exited (${code}): ${stderr}`));
      });
    });
    return this;
  }

  /** Every message received so far, in order. */
  received(): ReceivedHl7[] {
    let text = '';
    try {
      text = readFileSync(this.recordFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ReceivedHl7);
  }

  /** Stops the listener process (the port is kept for start()). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
