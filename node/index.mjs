import passgate from './index.js';

export const { Verifier, Outcome, PassgateError, LOG_KEYS, OUTCOME_CODES } = passgate;
export default passgate;
