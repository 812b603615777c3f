export { AdminModule } from './admin.module.js';
export { AdminController } from './admin.controller.js';
export { adminMicroserviceOptions } from './admin-microservice.options.js';
export { adminProtoPath, ADMIN_PACKAGE, ADMIN_LOADER_OPTIONS } from './admin-proto.js';
