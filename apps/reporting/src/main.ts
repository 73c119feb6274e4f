import { runService } from '@triage/nest-platform';
import { reportingModules } from './app.module';

void runService({ services: ['reporting'], modules: reportingModules, defaultPort: 8083 });
