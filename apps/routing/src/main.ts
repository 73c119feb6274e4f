import { runService } from '@triage/nest-platform';
import { routingModules } from './app.module';

void runService({ services: ['routing'], modules: routingModules, defaultPort: 8082 });
