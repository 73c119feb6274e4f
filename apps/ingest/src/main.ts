import { runService } from '@triage/nest-platform';
import { ingestModules } from './app.module';

void runService({ services: ['ingest'], modules: ingestModules, defaultPort: 8080 });
