import { runService } from '@triage/nest-platform';
import { meshModules } from './app.module';
import { runDemo } from './demo';

const demo = process.argv.includes('--demo');
// The demo prints a readable summary; JSON logs at info level would bury it (LOG_LEVEL=info shows them).
if (demo && !process.env.LOG_LEVEL) process.env.LOG_LEVEL = 'warn';

void runService({
  services: ['ingest', 'inference', 'routing', 'reporting', 'audit'],
  modules: meshModules,
  defaultPort: 8080,
}).then(async (mesh) => {
  if (!mesh || !demo) return;
  try {
    await runDemo(mesh.url);
  } catch (err) {
    mesh.logger.error({ reason: err instanceof Error ? err.message : String(err) }, 'demo failed');
    process.exitCode = 1;
  }
});
