export { AdminModule } from './admin.module.js';
export { AdminController } from './admin.controller.js';
export { adminMicroserviceOptions } from './admin-microservice.options.js';
export { adminProtoPath, ADMIN_PACKAGE, ADMIN_LOADER_OPTIONS } from './admin-proto.js';
export { AdminAuthGuard } from './admin-auth.guard.js';
export { adminTokenPath, ensureAdminToken, readAdminToken, AdminTokenCheck } from './admin-token.js';
export { AdminOperations, type AdminOperationsDeps, type OnlineUser, type UserStats, type AnnounceOutcome } from './admin-operations.js';
export { AdminError, type AdminErrorKind } from './admin-error.js';
export { InviteOperations, parseDuration, type CreatedInvite } from './admin-invites.js';
