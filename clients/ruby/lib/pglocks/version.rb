# frozen_string_literal: true

module Pglocks
  VERSION = '2.0.0' # the extension's version
end
