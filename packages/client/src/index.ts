// @tessera/client: ask a Tessera validator whether a token is valid. Middleware for
// Express and Fastify is in "@tessera/client/express" and "@tessera/client/fastify".
export { createValidatorClient, ValidatorCallError, type ValidateOptions, type ValidatorClient, type ValidatorClientOptions } from "./validator-client.js";
export type { TesseraIdentity, Validation, ValidationCodeName } from "./validation.js";
export { refusalFor, tokenFromAuthorization, type Refusal } from "./refusal.js";
export type { GuardOptions } from "./check-request.js";
