import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, waitFor } from '@triage/testing';

/** A mesh process started the way an operator starts it: `node -r @swc-node/register apps/<app>/src/main.ts`. */
export class ServiceProcess {
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(
    readonly app: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly args: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): void {
    const root = repoRoot();
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', join('apps', this.app, 'src', 'main.ts'), ...this.args], {
      cwd: root,
      env: { ...process.env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(this.port), ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child?.on('exit', (code) => resolve(code)));
  }

  /** Waits until GET /health/ready answers 200 (bounded), or fails with the process's last output. */
  async ready(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      async () => {
        if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
          throw new Error(`${this.app} exited with ${this.child.exitCode}:\n${this.output.slice(-20).join('\n')}`);
        }
        const res = await fetch(`${this.url}/health/ready`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs, intervalMs: 250, description: `${this.app} ready on ${this.url}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${this.app} output ---\n${this.output.slice(-30).join('\n')}`);
    });
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves with the exit code. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code ?? null;
  }

  /** SIGKILL: a crash, no graceful shutdown. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
