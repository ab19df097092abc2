import express from './express.js';

export const { requireCaptcha } = express;
export default express;
