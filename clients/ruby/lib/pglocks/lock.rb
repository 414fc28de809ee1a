# frozen_string_literal: true

module Pglocks
  # One use of with_lock: the protocol of docs/clients.md. Inside a
  # transaction the lock is taken after a savepoint of ours, so that a lock
  # statement that fails, or a block that aborts the transaction, can be
  # rolled back to it; a block that aborted the transaction leaves it aborted
  # again after the unlock, so that nothing in it can commit.
  class Lock
    INT64 = 1 << 63
    INT32 = 1 << 31

    # Where the key's hold is in pg_locks, in terms of the key's parameters.
    BIGINT_ROW = 'objsubid = 1 AND classid = (($1::bigint >> 32) & 4294967295)::oid ' \
                 'AND objid = ($1::bigint & 4294967295)::oid'
    PAIR_ROW = 'objsubid = 2 AND classid = $1::int::oid AND objid = $2::int::oid'

    # A transaction-local setting that lists our savepoints that exist,
    # innermost last: each is added just before it is taken, so that it goes
    # away with the transaction and with a rollback to an older savepoint,
    # which destroy the savepoint too.
    MARK = 'pglocks_client.savepoints'

    REABORT = "DO $pglocks$ BEGIN RAISE EXCEPTION USING ERRCODE = 'in_failed_sql_transaction', " \
              "MESSAGE = 'the transaction was aborted inside an advisory lock''s block', " \
              "HINT = 'The lock has been released; roll the transaction back.'; END $pglocks$"

    # Results as text and parameters sent with to_s, whatever type maps the
    # connection has (ActiveRecord's raw connection decodes booleans).
    STRINGS = PG::TypeMapAllStrings.new

    @state = Mutex.new
    @savepoints = 0
    # The holds taken through this class and not yet released:
    # [connection, mode, key parameters] => count
    @holds = Hash.new(0)

    class << self
      def next_savepoint
        @state.synchronize { "pglocks_#{@savepoints += 1}" }
      end

      def count(hold, delta)
        @state.synchronize do
          count = @holds[hold] + delta
          count.zero? ? @holds.delete(hold) : @holds[hold] = count
        end
      end

      def held?(hold)
        @state.synchronize { @holds.key?(hold) }
      end
    end

    def initialize(conn, key, body, shared:, wait:, timeout:, xact:)
      @args, @params, @row = key_args(key)
      unless conn.is_a?(PG::Connection)
        raise ArgumentError, "a lock belongs to one session: pass a PG::Connection, not a #{conn.class}"
      end
      raise ArgumentError, 'with_lock needs a block' unless body

      ms = milliseconds(timeout)
      raise ArgumentError, 'timeout: and wait: false exclude each other' if ms && !wait
      if xact && conn.transaction_status == PG::PQTRANS_IDLE
        raise ArgumentError, 'xact: true needs an open transaction: the lock would end with its statement'
      end

      @conn = conn
      @body = body
      @wait = wait && ms != 0
      @ms = ms if @wait # nil: no timeout (a timeout of 0 is a try)
      @xact = xact
      @suffix = shared ? '_shared' : ''
      @mode = shared ? 'ShareLock' : 'ExclusiveLock'
      @hold = [conn, @suffix, @params]
    end

    # Takes the lock; false if it was busy or the timeout ran out.
    def acquire
      @savepoint = take_savepoint if @conn.transaction_status == PG::PQTRANS_INTRANS
      result = lock_statement
      return false unless result
      unless @wait || result.getvalue(0, 0) == 't'
        @conn.exec(@xact ? undo_savepoint : "RELEASE SAVEPOINT #{@savepoint}") if @savepoint
        return false
      end
      begin
        restore_lock_timeout(result.getvalue(0, 0)) if @ms && @savepoint
      rescue Exception => e # an interrupt (Timeout::Error) after the grant
        begin
          undo_grant
        rescue PG::Error
          raise e
        end
        raise
      end
      if @xact
        @conn.exec("RELEASE SAVEPOINT #{@savepoint}") # the lock moves to the transaction
      else
        Lock.count(@hold, 1)
      end
      true
    end

    # Runs the body under the lock taken by acquire and returns its value.
    def hold
      return @body.call if @xact # held until the transaction ends

      error = nil
      begin
        @body.call
      rescue Exception => error
        raise
      ensure # also after a break, throw or return out of the block
        begin
          release(error)
        rescue StandardError
          raise unless error # the body's own error is the one to report (a lost connection fails both)
        end
      end
    end

    private

    def key_args(key)
      case key
      when String then ['$1::bigint', [Pglocks.key_id(key)], BIGINT_ROW]
      when Integer
        raise ArgumentError, "an Integer key must fit in 64 bits: #{key}" unless key.between?(-INT64, INT64 - 1)

        ['$1::bigint', [key], BIGINT_ROW]
      when Array
        unless key.size == 2 && key.all? { |k| k.is_a?(Integer) && k.between?(-INT32, INT32 - 1) }
          raise ArgumentError, "an Array key is two Integers of 32 bits, not #{key.inspect}"
        end

        ['$1::int, $2::int', key.dup, PAIR_ROW] # a copy: the block may change the caller's Array
      else
        raise ArgumentError, "a key is a String, an Integer or two Integers, not #{key.inspect}"
      end
    end

    def milliseconds(timeout)
      return if timeout.nil?
      unless timeout.is_a?(Numeric) && timeout.real? && timeout.finite? && timeout >= 0
        raise ArgumentError, "timeout: is a finite number of seconds >= 0, not #{timeout.inspect}"
      end

      ms = (timeout * 1000).ceil
      raise ArgumentError, "timeout: is at most #{INT32 - 1} ms (lock_timeout's limit)" if ms >= INT32

      ms
    end

    def query(sql, params)
      result = @conn.exec_params(sql, params, 0, STRINGS)
      result.type_map = STRINGS
      result
    end

    # Our savepoint, with its name added to MARK in the same round trip (a
    # transaction lock's savepoint ends before the block: no need).
    def take_savepoint
      name = Lock.next_savepoint
      mark = "SELECT pg_catalog.set_config('#{MARK}', pg_catalog.concat_ws(',', " \
             "NULLIF(pg_catalog.current_setting('#{MARK}', true), ''), '#{name}'), true); "
      @conn.exec("#{mark unless @xact}SAVEPOINT #{name}")
      name
    end

    # The lock statement's set_config(..., true) lasts until the transaction ends.
    def restore_lock_timeout(prev)
      query("SELECT pg_catalog.set_config('lock_timeout', $1::text, true)", [prev])
    end

    def undo_savepoint
      "ROLLBACK TO SAVEPOINT #{@savepoint}; RELEASE SAVEPOINT #{@savepoint}"
    end

    def lock_function
      "pg_catalog.pg_#{'try_' unless @wait}advisory_#{'xact_' if @xact}lock#{@suffix}(#{@args})"
    end

    # Its first column: the try's result, or the caller's lock_timeout.
    def lock_statement
      return query("SELECT #{lock_function}", @params) unless @ms

      query('WITH p AS MATERIALIZED (SELECT pg_catalog.current_setting(\'lock_timeout\') AS prev), ' \
            "t AS MATERIALIZED (SELECT prev, pg_catalog.set_config('lock_timeout', " \
            "$#{@params.size + 1}::text, true) FROM p) SELECT t.prev, #{lock_function} FROM t",
            [*@params, @ms])
    rescue Exception => e
      begin
        undo_lock_statement
      rescue PG::Error
        raise e # the error to report is the lock statement's
      end
      # our timeout ran out; the caller's own lock_timeout (no timeout:) is an error
      raise e unless @ms && e.is_a?(PG::LockNotAvailable)

      nil
    end

    # After the lock statement failed (the timeout, a cancel, statement_timeout,
    # an interrupt in Ruby): roll back to our savepoint, which also gives back
    # a transaction lock. An error can end a wait just as the lock is granted:
    # if this connection had no hold of the key in this mode through this
    # class (with one, the lock is granted at once, with no wait to end), a
    # hold found now is that grant, and is given back.
    def undo_lock_statement
      end_interrupted_statement
      @conn.exec(undo_savepoint) if @savepoint # gives back a transaction lock
      return if @xact || Lock.held?(@hold)
      # a transaction aborted before the lock statement: it granted nothing
      return if @conn.transaction_status == PG::PQTRANS_INERROR

      query("SELECT pg_catalog.pg_advisory_unlock#{@suffix}(#{@args}) FROM pg_catalog.pg_locks " \
            "WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid() AND granted " \
            "AND mode = '#{@mode}' AND #{@row}", @params)
    end

    # A statement interrupted in Ruby still runs (a lock statement still waits).
    def end_interrupted_statement
      return unless @conn.transaction_status == PG::PQTRANS_ACTIVE

      @conn.cancel
      @conn.discard_results # until it ends
    end

    # An interrupt after the lock was granted, before the block (during the
    # restore of lock_timeout): roll back to our savepoint, which gives back
    # a transaction lock and the lock_timeout we set, and give back this
    # grant of a session lock (one hold: an outer one of the key stays).
    def undo_grant
      end_interrupted_statement
      @conn.exec(undo_savepoint)
      unlock unless @xact
    end

    # At the end of the body, whatever ended it (body_error: its exception).
    def release(body_error)
      Lock.count(@hold, -1)
      released = give_back(body_error)
      return if released || body_error

      raise LockLost, 'the advisory lock was no longer held at the end of the block (unlocked inside it?)'
    end

    def give_back(body_error)
      status = @conn.transaction_status
      return give_back_aborted(body_error) if status == PG::PQTRANS_INERROR
      return unlock unless @savepoint && status == PG::PQTRANS_INTRANS

      # the unlock, then our savepoint if it is still there: the body may
      # have committed, rolled back, or rolled back to an older savepoint
      result = query("SELECT #{unlock_function}, pg_catalog.current_setting('#{MARK}', true)", @params)
      savepoints = result.getvalue(0, 1).to_s.split(',')
      if savepoints.delete(@savepoint)
        @conn.exec("RELEASE SAVEPOINT #{@savepoint}; SELECT pg_catalog.set_config('#{MARK}', " \
                   "#{@conn.escape_literal(savepoints.join(','))}, true)")
      end
      result.getvalue(0, 0) == 't'
    end

    # The body left the transaction aborted: roll back to our savepoint so
    # that the unlock can run, then abort the transaction again: its owner
    # must still roll it back. Raises unless the body's own error propagates.
    def give_back_aborted(body_error)
      @conn.exec('ROLLBACK') unless rolled_back_to_savepoint?
      released = unlock
      @conn.exec('BEGIN') if @conn.transaction_status == PG::PQTRANS_IDLE
      begin
        @conn.exec(REABORT)
      rescue PG::InFailedSqlTransaction
        raise unless body_error
      end
      released
    end

    def rolled_back_to_savepoint?
      return false unless @savepoint

      @conn.exec(undo_savepoint)
      true
    rescue PG::Error # gone: the body ended the transaction the lock was taken in
      false
    end

    def unlock_function
      "pg_catalog.pg_advisory_unlock#{@suffix}(#{@args})"
    end

    def unlock
      query("SELECT #{unlock_function}", @params).getvalue(0, 0) == 't'
    end
  end
  private_constant :Lock
end
