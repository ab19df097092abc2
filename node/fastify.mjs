import passgate from './fastify.js';

export const { requireCaptcha } = passgate;
export { passgate };
export default passgate;
