# frozen_string_literal: true

require_relative 'lib/pglocks/version'

Gem::Specification.new do |spec|
  spec.name = 'pglocks'
  spec.version = Pglocks::VERSION
  spec.summary = 'PostgreSQL advisory locks held while a block runs, for ruby-pg, with the key ids of pglocks'
  spec.description = "with_lock holds one of PostgreSQL's own advisory locks while a block runs (text, " \
                     '64-bit and pair keys; shared, try, timeout, transaction scope), safely inside ' \
                     "transactions; key_id and crc32_key_id compute the pglocks extension's and " \
                     "django-pglocks 1.x's ids. No extension is needed on the server."
  spec.authors = ['pglocks developers']
  spec.license = 'MIT'
  spec.homepage = 'https://github.com/pglocks/pglocks'
  spec.required_ruby_version = '>= 2.7'
  spec.files = ['README.md', 'lib/pglocks.rb', 'lib/pglocks/lock.rb', 'lib/pglocks/version.rb']
  spec.require_paths = ['lib']
  spec.add_runtime_dependency 'pg', '>= 1.1'
end
