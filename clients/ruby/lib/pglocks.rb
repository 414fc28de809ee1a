# frozen_string_literal: true

require 'digest'
require 'pg'
require 'zlib'

# PostgreSQL advisory locks held while a block runs, over ruby-pg, with the
# key ids of the pglocks extension (docs/key-hashing.md). The locks are
# PostgreSQL's own (pg_catalog.pg_advisory_*): a key locked here is the same
# lock as pglocks.lock(key) in SQL, and no extension is needed on the server.
module Pglocks
  class Error < StandardError; end

  # with_lock! found the lock busy, or its timeout ran out.
  class LockNotAcquired < Error; end

  # The lock was no longer held when the block ended (it unlocked it itself).
  class LockLost < Error; end

  module_function

  # The extension's pglocks.key_id: the first 8 bytes of SHA-256 over the
  # key's UTF-8 bytes, little-endian, signed.
  def key_id(key)
    Digest::SHA256.digest(utf8(key))[0, 8].unpack1('q<')
  end

  # django-pglocks 1.x's id: the CRC-32 of the UTF-8 bytes as a signed 32-bit
  # integer.
  def crc32_key_id(key)
    [Zlib.crc32(utf8(key))].pack('L').unpack1('l')
  end

  # Runs the block while holding an advisory lock on key (a String, an
  # Integer of 64 bits, or an Array of two Integers of 32 bits) on conn, a
  # PG::Connection, and returns the block's value; returns false, without
  # running the block, if the lock was not acquired (wait: false or timeout:
  # found it busy). Options: shared: (a shared lock), wait: false (only if it
  # is free now), timeout: (seconds to wait in the server's lock queue; 0 is
  # wait: false), xact: (a transaction lock, held until the transaction ends;
  # it needs an open one). A session lock is released when the block ends,
  # however it ends. Every refusal of an argument is an ArgumentError raised
  # before any query.
  def with_lock(conn, key, shared: false, wait: true, timeout: nil, xact: false, &block)
    lock = Lock.new(conn, key, block, shared: shared, wait: wait, timeout: timeout, xact: xact)
    lock.acquire ? lock.hold : false
  end

  # with_lock, raising LockNotAcquired when the lock was not acquired: for a
  # block whose value may be false.
  def with_lock!(conn, key, shared: false, wait: true, timeout: nil, xact: false, &block)
    lock = Lock.new(conn, key, block, shared: shared, wait: wait, timeout: timeout, xact: xact)
    raise LockNotAcquired, "advisory lock #{key.inspect} was not acquired" unless lock.acquire

    lock.hold
  end

  def utf8(key)
    raise ArgumentError, "a text key is a String, not #{key.inspect}" unless key.is_a?(String)

    bytes = key.encode(Encoding::UTF_8)
    raise ArgumentError, 'the key is not valid UTF-8' unless bytes.valid_encoding?

    bytes.b
  rescue EncodingError => e
    raise ArgumentError, "the key cannot be encoded as UTF-8: #{e.message}"
  end
  private_class_method :utf8
end

require_relative 'pglocks/lock'
require_relative 'pglocks/version'
