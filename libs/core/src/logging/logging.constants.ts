/** Injection token of the root pino logger (the access log and Nest's `Logger` write through it). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
