#!/usr/bin/env bash
# The Ruby client's tests against the gem as it is installed: gem build, then
# gem install --local into a fresh GEM_HOME (Debian's ruby-pg satisfies its
# dependency), then the tests, with only the installed gem on the load path.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gem build --silent pglocks.gemspec --output "$work/pglocks.gem"
GEM_HOME=$work/gems gem install --local --no-document --quiet "$work/pglocks.gem"
export GEM_HOME=$work/gems GEM_PATH=$work/gems:$(ruby -e 'print Gem.default_path.join(":")')
# a fresh process finds it with a plain require
ruby -e 'require "pglocks"; abort "loaded #{$LOADED_FEATURES.grep(/pglocks/)}" unless Gem.loaded_specs.key?("pglocks")'
ruby test/test_pglocks.rb
