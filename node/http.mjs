import http from './http.js';

export const { verifyRequest, failureAnswer } = http;
export default http;
