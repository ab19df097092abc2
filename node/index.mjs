import passgate from './index.js';

export const {
  Verifier, Outcome, PassgateError, DoctorReport, doctor, metrics, metricsText,
  LOG_KEYS, OUTCOME_CODES, OUTCOME_FIELDS, OPTION_NAMES,
} = passgate;
export default passgate;
