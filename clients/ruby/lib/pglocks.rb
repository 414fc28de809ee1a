# frozen_string_literal: true

require 'digest'
require 'zlib'

# Key ids of the pglocks PostgreSQL extension (docs/key-hashing.md), and
# with_lock for ruby-pg. Locks are PostgreSQL's own advisory locks: a key
# locked here is the same lock as pglocks.lock(key) in SQL.
module Pglocks
  module_function

  # First 8 bytes of SHA-256 over the key's UTF-8 bytes, little-endian signed.
  def key_id(key)
    Digest::SHA256.digest(utf8(key))[0, 8].unpack1('q<')
  end

  # django-pglocks 1.x: CRC-32 of the UTF-8 bytes as a signed 32-bit integer.
  def crc32_key_id(key)
    [Zlib.crc32(utf8(key))].pack('L>').unpack1('l>')
  end

  # Runs the block while holding a session advisory lock on key (a String,
  # an Integer, or an Array of two Integers) on conn, a PG::Connection, and
  # releases it when the block returns or raises. Returns false without
  # running the block if wait is false and the lock is busy, else true. If
  # the block leaves the transaction aborted, it is rolled back (it could
  # only be rolled back) so that the lock can be released.
  def with_lock(conn, key, shared: false, wait: true)
    args, params, row = lock_args(key)
    suffix = shared ? '_shared' : ''
    if wait
      take(conn, suffix, args, params, row)
    else
      tried = conn.exec_params("SELECT pg_try_advisory_lock#{suffix}(#{args}) AS ok", params)
      return false unless tried[0]['ok'] == 't'
    end
    begin
      yield
    ensure
      release(conn, "SELECT pg_advisory_unlock#{suffix}(#{args})", params)
    end
    true
  end

  # Runs the statement that waits for the lock. An error can end the wait
  # just as the lock is granted (a cancel, statement_timeout): the statement
  # fails and the session holds the lock all the same. No hold in this mode
  # existed before (it would have been granted at once), so a hold left then
  # is that one: give it back, unless the failure left a transaction aborted
  # (then nothing can run before its owner rolls it back).
  def take(conn, suffix, args, params, row)
    conn.exec_params("SELECT pg_advisory_lock#{suffix}(#{args})", params)
  rescue PG::Error => e
    if conn.transaction_status == PG::PQTRANS_IDLE
      mode = suffix.empty? ? 'ExclusiveLock' : 'ShareLock'
      begin
        conn.exec_params("SELECT pg_advisory_unlock#{suffix}(#{args}) FROM pg_catalog.pg_locks " \
                         "WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted " \
                         "AND mode = '#{mode}' AND #{row}", params)
      rescue PG::Error
        nil # the error to report is the first one
      end
    end
    raise e
  end

  def release(conn, sql, params)
    conn.exec('ROLLBACK') if conn.transaction_status == PG::PQTRANS_INERROR
    conn.exec_params(sql, params)
  end

  # The lock's row in pg_locks, in terms of the parameters of lock_args.
  BIGINT_ROW = 'objsubid = 1 AND classid = (($1::bigint >> 32) & 4294967295)::oid ' \
               'AND objid = ($1::bigint & 4294967295)::oid'
  PAIR_ROW = 'objsubid = 2 AND classid = $1::int::oid AND objid = $2::int::oid'
  private_constant :BIGINT_ROW, :PAIR_ROW

  # [SQL arguments, parameters, row in pg_locks] for a key
  def lock_args(key)
    case key
    when String then ['$1::bigint', [key_id(key)], BIGINT_ROW]
    when Integer
      raise RangeError, 'an integer key must fit in 64 bits' unless key.bit_length < 64
      ['$1::bigint', [key], BIGINT_ROW]
    when Array
      unless key.size == 2 && key.all? { |k| k.is_a?(Integer) && k.bit_length < 32 }
        raise ArgumentError, 'a pair key is two 32-bit integers'
      end
      ['$1::int, $2::int', key, PAIR_ROW]
    else raise ArgumentError, "cannot use #{key.inspect} as a lock key"
    end
  end

  def utf8(key)
    raise ArgumentError, 'a key is a String' unless key.is_a?(String)

    utf8 = key.encode(Encoding::UTF_8)
    raise ArgumentError, 'the key is not valid UTF-8' unless utf8.valid_encoding?

    utf8.b
  end
  private_class_method :take, :release, :lock_args, :utf8
end
