export { RouterModule } from './router.module.js';
export { startRouter, type Router } from './router.js';
