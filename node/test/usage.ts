// Checked by `tsc --noEmit --strict` in types.test.js: the declarations cover the public API.
import { Verifier, Outcome, PassgateError, LOG_KEYS, OUTCOME_CODES, type LogFields, type OutcomeCode } from 'passgate';
import { requireCaptcha } from 'passgate/express';

const verifier = new Verifier({
  appKey: 'key',
  appSecret: 'secret',
  environment: 'test',
  timeoutMs: 2000,
  logger: { info: (obj: LogFields, msg: string) => undefined, warn: (obj: LogFields, msg: string) => undefined },
});

async function main(): Promise<void> {
  const outcome: Outcome = await verifier.validate('pt_x', { clientIp: '203.0.113.7', action: 'login' });
  const ok: boolean = outcome.ok;
  const code: OutcomeCode = outcome.code;
  const status: number = outcome.httpStatus;
  const fields: LogFields = outcome.logFields;
  const fingerprint: string | null = fields.token_fingerprint;
  const ja: string = outcome.messageFor('ja');
  const sync: Outcome = verifier.validateSync(null);
  const token = await verifier.issueServerToken('login', { ttl: 60 });
  const serverToken: string = token.serverToken;
  try {
    Verifier.fromEnv();
  } catch (err) {
    if (err instanceof PassgateError && err.code === 'PASSGATE_CONFIG') {
      const message: string = err.message;
    }
  }
  const middleware = requireCaptcha({ verifier, action: 'login', field: 'captchala_token' });
  const keys: readonly (keyof LogFields)[] = LOG_KEYS;
  const codes: readonly OutcomeCode[] = OUTCOME_CODES;
}

void main;
