import { runService } from '@triage/nest-platform';
import { inferenceModules } from './app.module';

void runService({ services: ['inference'], modules: inferenceModules, defaultPort: 8081 });
