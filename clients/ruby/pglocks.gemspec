# frozen_string_literal: true

Gem::Specification.new do |spec|
  spec.name = 'pglocks'
  spec.version = '2.0.0'
  spec.summary = 'PostgreSQL advisory locks for ruby-pg, with the key ids of the pglocks extension'
  spec.description = 'Key ids of the pglocks PostgreSQL extension (SHA-256, little-endian, as ' \
                     'django-pglock computes them; and django-pglocks 1.x CRC-32 ids), and with_lock, ' \
                     "which holds one of PostgreSQL's own advisory locks while a block runs."
  spec.authors = ['pglocks maintainers']
  spec.license = 'MIT'
  spec.homepage = 'https://github.com/pglocks/pglocks'
  spec.required_ruby_version = '>= 2.7'
  spec.files = ['lib/pglocks.rb']
  spec.require_paths = ['lib']
  spec.add_runtime_dependency 'pg', '>= 1.1'
end
