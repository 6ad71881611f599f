export { PolicyEngine, type AccessRequest, type Decision, type PolicyEntry } from './lib/policy-engine.js';
export {
  ServiceAccountTokens,
  MAX_TOKEN_LIFETIME_S,
  type ServiceAccountKeys,
} from './lib/service-account-tokens.js';
