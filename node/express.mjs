import express from './express.js';

export const { requireCaptcha, CaptchaError, widgetLocals, cspDirectives } = express;
export default express;
