import type { Logger } from '@triage/observability';
import { watch, type FSWatcher } from 'node:fs';

/** How the registry notices changed manifests or weights. */
export interface ReloadOptions {
  /** fs.watch the manifests and models directories (not every filesystem reports events: see rescanMs). */
  watch: boolean;
  /** Periodic rescan, the fallback for filesystems without change events (0 = none). */
  rescanMs: number;
  /** Quiet time after the last change event before reloading (editors and copies write in bursts). */
  debounceMs: number;
}

/**
 * Calls `onChange` (debounced) when a watched directory reports a change, and on a fixed period as a
 * fallback. `onChange` must be cheap when nothing changed: the periodic call does not know.
 */
export class DirectoryWatcher {
  private watchers: FSWatcher[] = [];
  private debounce?: NodeJS.Timeout;
  private interval?: NodeJS.Timeout;

  constructor(
    private readonly dirs: readonly string[],
    private readonly options: ReloadOptions,
    private readonly onChange: () => void,
    private readonly logger: Logger,
  ) {}

  /** Starts watching (idempotent). */
  start(): void {
    if (this.watchers.length || this.interval) return;
    if (this.options.watch) {
      for (const dir of this.dirs) {
        try {
          const w = watch(dir, { persistent: false }, () => this.changed());
          // A directory removed or unreadable later: the periodic rescan still runs.
          w.on('error', (err) => this.logger.warn({ dir, error: err.message }, 'directory watch failed; relying on the periodic rescan'));
          this.watchers.push(w);
        } catch (err) {
          this.logger.warn({ dir, error: err instanceof Error ? err.message : 'error' }, 'directory cannot be watched; relying on the periodic rescan');
        }
      }
    }
    if (this.options.rescanMs > 0) {
      this.interval = setInterval(() => this.onChange(), this.options.rescanMs);
      this.interval.unref();
    }
  }

  /** Stops watching and drops a pending debounced call. */
  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.debounce) clearTimeout(this.debounce);
    if (this.interval) clearInterval(this.interval);
    this.debounce = undefined;
    this.interval = undefined;
  }

  private changed(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.onChange();
    }, this.options.debounceMs);
    this.debounce.unref();
  }
}
