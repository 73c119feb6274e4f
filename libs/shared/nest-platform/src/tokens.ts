/** Injection tokens of the platform module. */
export const MESH_CONFIG = Symbol('MESH_CONFIG');
export const EVENT_BUS = Symbol('EVENT_BUS');
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
/** The services this process runs (one in distributed mode, all five embedded). */
export const MESH_SERVICES = Symbol('MESH_SERVICES');
