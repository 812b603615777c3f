export { EdgeModule } from './edge.module.js';
export { EdgeService } from './edge.service.js';
export { EdgeServer, type EdgeDeps } from './edge.server.js';
