# frozen_string_literal: true

module Pglocks
  VERSION = '2.1.0' # the extension's version
end
