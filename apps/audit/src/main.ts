import { runService } from '@triage/nest-platform';
import { auditModules } from './app.module';

void runService({ services: ['audit'], modules: auditModules, defaultPort: 8084 });
