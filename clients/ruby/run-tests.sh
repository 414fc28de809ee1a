#!/usr/bin/env bash
# The Ruby client as a user gets it, offline, against the server libpq's
# environment (PGHOST, PGPORT, ...) points to: the gem is built, installed
# with gem install --local into a fresh GEM_HOME (Debian's ruby-pg satisfies
# its pg dependency), used by a fresh Bundler project running the README's
# first example, and the feature tests run against that installed copy, from
# outside the source tree. Needs: ruby, ruby-pg, ruby-minitest, bundler.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v bundle >/dev/null || { echo "run-tests.sh: bundle not found (apt-get install bundler)" >&2; exit 1; }

# the installed gem and Debian's system gems, and nothing from the source tree
system_gems=$(ruby -e 'print Gem.default_path.join(":")')
export GEM_HOME=$work/gems GEM_PATH=$work/gems:$system_gems
export BUNDLE_USER_HOME=$work/bundle BUNDLE_SILENCE_ROOT_WARNING=1

echo '==> gem build, gem install --local'
(cd "$here" && gem build --silent pglocks.gemspec --output "$work/pglocks.gem")
gem install --local --no-document "$work/pglocks.gem"

echo '==> a fresh Bundler project using the gem'
mkdir "$work/app"
cat >"$work/app/Gemfile" <<'EOF'
source 'https://rubygems.org'

gem 'pglocks'
EOF
cat >"$work/app/app.rb" <<'EOF'
require 'pg'
require 'pglocks'

abort "pglocks was loaded from #{$LOADED_FEATURES.grep(/pglocks/)}" unless
  Gem.loaded_specs['pglocks'].full_gem_path.start_with?(ENV['GEM_HOME'])

WATCHER = PG.connect # another session, that sees the lock from outside

def held?(key)
  id = Pglocks.key_id(key)
  free = WATCHER.exec_params('SELECT pg_try_advisory_lock($1::bigint)', [id]).getvalue(0, 0) == 't'
  WATCHER.exec_params('SELECT pg_advisory_unlock($1::bigint)', [id]) if free
  !free
end

def ship(_conn, _id)
  abort 'the block ran without the lock' unless held?('orders:42')
end

# the README's first example
conn = PG.connect # libpq's environment: PGHOST, PGDATABASE, ... (or a URL: PG.connect(url))
shipped = Pglocks.with_lock(conn, 'orders:42', timeout: 5) do
  ship(conn, 42) # runs while this session holds the lock
  :shipped
end
puts shipped ? 'shipped' : 'order 42 is being shipped by someone else'

abort "with_lock returned #{shipped.inspect}" unless shipped == :shipped
abort 'the lock was not released' if held?('orders:42')
EOF
(cd "$work/app" && bundle install --local --quiet && bundle exec ruby app.rb)

echo '==> the feature tests, against the installed gem'
cp -r "$here/test" "$work/test"
cd "$work"
ruby -rpglocks -e 'path = $LOADED_FEATURES.find { |f| f.end_with?("/pglocks.rb") }
  abort "pglocks loaded from #{path}, not the installed gem" unless path.start_with?(ENV["GEM_HOME"])'
PGLOCKS_VECTORS=$here/../../vectors/key_ids.tsv ruby test/test_pglocks.rb --verbose
