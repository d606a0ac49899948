// The npm registry reachable here serves only the linux-x64 build of chDB's native library, so
// `npm install` leaves chdb's other optional platform packages out of package-lock.json and `npm ci`
// then refuses the lock as out of sync. This adds lock entries for those packages (optional, with
// their os/cpu), which npm ci skips on platforms they do not match. Run after changing dependencies.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const meta of Object.values(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pkgs[key] || !dep.startsWith('@chdb/lib-')) continue;
    const [, os, cpu] = /^@chdb\/lib-(linux|darwin)-(x64|arm64)/.exec(dep) ?? [];
    if (!os) continue;
    pkgs[key] = { version, cpu: [cpu], license: meta.license, optional: true, os: [os] };
    added++;
  }
}
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
process.stdout.write(`lock-platform-packages: added ${added} entr${added === 1 ? 'y' : 'ies'}\n`);
