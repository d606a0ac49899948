/** The roles of `hes start`: a list, every role when empty, a clear error naming an unknown one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/index.js';
import { parseRoles, ROLES } from './roles.js';

test('roles: every role by default, a comma list, unknown names refused', () => {
  assert.deepEqual([...parseRoles([])], [...ROLES]);
  assert.deepEqual([...parseRoles(['api, Scheduler', 'pipeline'])], ['api', 'scheduler', 'pipeline']);
  assert.deepEqual([...parseRoles(['unb'])], ['unb']);
  assert.throws(() => parseRoles(['api,mdm'], '--roles'), (e: Error) => e instanceof ConfigError && e.message === '--roles: unknown role "mdm" (roles: api, scheduler, pipeline, cenc, push, lorawan, unb)');
});
