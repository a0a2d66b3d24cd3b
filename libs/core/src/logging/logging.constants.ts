/** Injection token of the root pino logger (shared by the access log and nestjs-pino). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
