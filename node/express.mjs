import express from './express.js';

export const { requireCaptcha, CaptchaError } = express;
export default express;
