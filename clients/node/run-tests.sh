#!/usr/bin/env bash
# The Node.js client's tests against the package as npm installs it: npm pack
# builds its tarball (offline), a fresh project in a temporary directory
# installs it (with pg, typescript and @types/pg from the npm registry), runs
# the README's first example there, type-checks test/types.mts, and runs the
# tests in test/ against that copy. Needs a server in libpq's environment
# (PGHOST, ...), e.g. from pg_virtualenv; nothing is written to this tree.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$work/$(npm pack --offline --silent --pack-destination "$work")
# the tarball holds what the package needs, and nothing else
diff <(tar -tzf "$tarball" | sort) - <<'EOF'
package/README.md
package/index.d.ts
package/index.js
package/package.json
EOF

mkdir "$work/consumer"
cd "$work/consumer"
echo '{ "name": "consumer", "private": true }' > package.json
# the package, and pg, typescript and @types/pg at the versions of package-lock.json
dev=$(node -p "const lock = require('$here/package-lock.json');
  Object.keys(lock.packages[''].devDependencies).map((n) => n + '@' + lock.packages['node_modules/' + n].version).join(' ')")
npm install --silent --no-audit --no-fund --prefer-offline "$tarball" $dev
node -e "require.resolve('pglocks').startsWith('$PWD/node_modules/') || process.exit(1)"

# The README's first example, run as it stands; every query it sends is
# recorded, to check that it took its lock and that the unlock released it.
awk '/^```js$/ { block++; next } /^```$/ && block == 1 { exit } block == 1' "$here/README.md" > example.mjs
cat > check.mjs <<'EOF'
import assert from 'node:assert';
import pg from 'pg';
const seen = [];
const query = pg.Client.prototype.query;
pg.Client.prototype.query = async function (...args) {
  const result = await query.apply(this, args);
  seen.push([args[0], result.rows]);
  return result;
};
await import('./example.mjs');
assert.ok(seen.some(([sql]) => /^SELECT pg_catalog\.pg_advisory_lock\(/.test(sql)), 'no lock taken');
assert.ok(seen.some(([sql, rows]) => /pg_advisory_unlock/.test(sql) && rows?.[0]?.released === 'true'), 'not released');
console.log('README example: took and released its lock');
EOF
node check.mjs

cp -r "$here/test" test
cat > tsconfig.json <<'EOF'
{ "compilerOptions": { "strict": true, "module": "nodenext", "noEmit": true }, "files": ["test/types.mts"] }
EOF
node_modules/.bin/tsc -p .
echo 'types: test/types.mts checks'

PGLOCKS_VECTORS=$here/../../vectors/key_ids.tsv node --test test/*.test.js test/*.test.mjs
