export { CoreModule, type CoreOptions } from './core.module.js';
export { runApp } from './run-app.js';
export { PartitionedService, type ServiceDeps, type FrameOutcome } from './partitioned-service.js';
export { serviceLifecycle, type StartedService } from './service-lifecycle.js';
export { listenPorts, listenProblems, envNameOf, type ListenPort } from './listen-ports.js';
export { nodeOptions, localMemoryBytes, quantityBytes, SEMI_SPACE_CEILING_MIB } from './node-options.js';
