export { MucModule } from './muc.module.js';
export { startMuc, type Muc } from './muc.js';
