/**
 * Requests the HTTP framework refuses before a route runs (body parser, content type, URL, body size) are
 * answered in the project's error format with the project's codes; no FST_ERR_* code leaks (issue 14 item 8).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type InjectOptions } from 'fastify';
import { ENGINES } from '../../registry/testing.js';
import { handleError } from '../http.js';
import { startHarness, type Harness } from './harness.js';

const json = { 'content-type': 'application/json' };
const login = '/api/v1/auth/login';

/** Each request and the status, code and field it must get. */
const cases: [string, InjectOptions, number, string, string][] = [
  ['malformed JSON', { method: 'POST', url: login, headers: json, payload: '{"username":' }, 400, 'INVALID_JSON', 'body'],
  ['a prototype-poisoning key', { method: 'POST', url: login, headers: json, payload: '{"__proto__":{"x":1},"username":"a","password":"b"}' }, 400, 'INVALID_JSON', 'body'],
  ['an empty JSON body', { method: 'POST', url: login, headers: json, payload: '' }, 400, 'INVALID_JSON', 'body'],
  ['XML', { method: 'POST', url: login, headers: { 'content-type': 'text/xml' }, payload: '<login/>' }, 415, 'UNSUPPORTED_MEDIA_TYPE', 'headers.content-type'],
  ['a form', { method: 'POST', url: login, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=a' }, 415, 'UNSUPPORTED_MEDIA_TYPE', 'headers.content-type'],
  ['a body shorter than Content-Length says', { method: 'POST', url: login, headers: { ...json, 'content-length': '5' }, payload: '{"username":"a","password":"b"}' }, 400, 'INVALID_CONTENT_LENGTH', 'headers.content-length'],
  ['a broken percent-encoding in the path', { method: 'GET', url: '/api/v1/projects/%E0%A4%A' }, 400, 'INVALID_URL', 'url'],
];

for (const engine of ENGINES) {
  describe(`framework errors in the project format (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(engine);
    });
    after(() => h.close());

    for (const [what, request, status, code, field] of cases) {
      it(`answers ${what} with ${status} ${code}`, async () => {
        const r = await h.call('Administrator', request);
        assert.equal(r.statusCode, status, r.body);
        assert.deepEqual(Object.keys(r.json()), ['error'], r.body);
        assert.deepEqual([r.json().error.code, r.json().error.field], [code, field], r.body);
        assert.equal(typeof r.json().error.message, 'string');
        assert.doesNotMatch(r.body, /FST_/);
      });
    }
  });
}

describe('framework errors of a route body limit', () => {
  it('answers a body above the limit with 413 BODY_TOO_LARGE', async () => {
    const app = Fastify({ bodyLimit: 64 });
    app.setErrorHandler(handleError);
    app.post('/echo', async (req) => req.body);
    const r = await app.inject({ method: 'POST', url: '/echo', headers: json, payload: JSON.stringify({ text: 'x'.repeat(100) }) });
    await app.close();
    assert.equal(r.statusCode, 413);
    assert.deepEqual([r.json().error.code, r.json().error.field], ['BODY_TOO_LARGE', 'body']);
    assert.doesNotMatch(r.body, /FST_/);
  });
});
