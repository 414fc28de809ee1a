# frozen_string_literal: true

# The Ruby client's tests: the shared key vectors, and every feature of
# docs/clients.md against the live server libpq's environment points to
# (PGHOST, PGPORT, ...). Only ExtensionTest needs the pglocks extension (it
# creates it); the rest uses PostgreSQL's built-in functions alone.

require 'delegate'
require 'minitest/autorun'
require 'pg'
require 'pglocks'

# vectors/key_ids.tsv: key (UTF-8 hex, or repeat:<unit hex>:<count>),
# key_id, crc32_key_id, description
module Vectors
  PATH = ENV.fetch('PGLOCKS_VECTORS') { File.expand_path('../../../vectors/key_ids.tsv', __dir__) }

  def self.each
    File.foreach(PATH, encoding: 'UTF-8') do |line|
      next if line.start_with?('#')

      column, id, crc, description = line.chomp.split("\t", -1)
      bytes = if column.start_with?('repeat:')
                _, unit, count = column.split(':')
                [unit].pack('H*') * Integer(count)
              else
                [column].pack('H*')
              end
      yield bytes.force_encoding(Encoding::UTF_8), Integer(id), Integer(crc), description
    end
  end
end

class KeyIdTest < Minitest::Test
  def test_every_shared_vector
    count = 0
    Vectors.each do |key, id, crc, description|
      assert_equal id, Pglocks.key_id(key), description
      assert_equal crc, Pglocks.crc32_key_id(key), description
      count += 1
    end
    assert_operator count, :>=, 300
  end

  def test_any_encoding_is_hashed_as_utf8
    assert_equal(-8_503_059_731_156_496_507, Pglocks.key_id('café'.encode('UTF-16LE')))
    assert_equal(-1_733_475_659, Pglocks.crc32_key_id('café'.encode('ISO-8859-1')))
  end

  def test_what_is_not_a_text_key_is_refused
    ["\xff".dup.force_encoding('UTF-8'), "\xff".b, nil, 42, :orders].each do |bad|
      assert_raises(ArgumentError) { Pglocks.key_id(bad) }
      assert_raises(ArgumentError) { Pglocks.crc32_key_id(bad) }
    end
  end
end

# A PG::Connection that records the statements it is sent, and where a test
# can change a statement before it goes out (rewrite) or fail it once it
# has run (after), as a wrapped driver would.
class TestConnection < PG::Connection
  attr_writer :rewrite, :after

  def statements
    @statements ||= []
  end

  def exec(sql, *rest, &block)
    statements << sql
    super
  end

  def exec_params(sql, *rest, &block)
    statements << sql
    result = super(@rewrite ? @rewrite.call(sql) : sql, *rest, &block)
    @after&.call(sql)
    result
  end
end

# A live server; @conn is the client's connection, @other a second session
# that checks what @conn holds with PostgreSQL's built-in functions.
module LiveHelpers
  INT64 = 1 << 63
  INT32 = 1 << 31
  # a wait that should not happen fails the test instead of hanging it
  STATEMENT_TIMEOUT = { options: '-c statement_timeout=30s' }.freeze

  def setup
    @conn = TestConnection.new(STATEMENT_TIMEOUT)
    @other = PG.connect
    quiet
  end

  # no server warnings on stderr (a body that unlocks the lock itself, an
  # extension that exists)
  def quiet
    [@conn, @other].each { |conn| conn.set_notice_receiver { nil } }
  end

  def teardown
    @conn&.close
    @other&.close
  end

  # The SQL arguments and parameters of a key, as PostgreSQL's built-ins take them.
  def sql_key(key)
    case key
    when String then ['$1::bigint', [Pglocks.key_id(key)]]
    when Integer then ['$1::bigint', [key]]
    else ['$1::int, $2::int', key]
    end
  end

  # @other takes the lock if it is free (and keeps it)
  def other_try(key, shared: false)
    args, params = sql_key(key)
    @other.exec_params("SELECT pg_try_advisory_lock#{'_shared' if shared}(#{args})", params).getvalue(0, 0) == 't'
  end

  def other_lock(key, shared: false)
    assert other_try(key, shared: shared), "#{key.inspect} is already held"
  end

  def other_unlock(key, shared: false)
    args, params = sql_key(key)
    assert_equal 't', @other.exec_params("SELECT pg_advisory_unlock#{'_shared' if shared}(#{args})", params)
                            .getvalue(0, 0)
  end

  # whether another session is refused the lock (in that mode) now
  def busy?(key, shared: false)
    return true unless other_try(key, shared: shared)

    other_unlock(key, shared: shared)
    false
  end

  # the advisory locks @conn holds or waits for, seen from @other (@conn's
  # transaction may be aborted)
  def locks_of_conn(granted: true)
    @other.exec_params('SELECT count(*) FROM pg_locks WHERE locktype = $1 AND pid = $2 AND granted = $3',
                       ['advisory', @conn.backend_pid, granted]).getvalue(0, 0).to_i
  end

  def wait_until_conn_waits
    100.times do
      return if locks_of_conn(granted: false).positive?

      sleep 0.05
    end
    flunk 'the client never waited for the lock'
  end

  def status
    @conn.transaction_status
  end

  # Every savepoint the client took on @conn is gone (@conn is in a transaction).
  def assert_no_savepoint_left
    @conn.statements.join("\n").scan(/SAVEPOINT (pglocks_\d+)/).flatten.uniq.each do |name|
      @conn.exec('SAVEPOINT probe')
      assert_raises(PG::SEInvalidSpecification, name) { @conn.exec("RELEASE SAVEPOINT #{name}") }
      @conn.exec('ROLLBACK TO SAVEPOINT probe; RELEASE SAVEPOINT probe')
    end
  end

  def setting(name)
    @conn.exec_params('SELECT pg_catalog.current_setting($1)', [name]).getvalue(0, 0)
  end

  def steps
    @conn.exec('SELECT step FROM steps ORDER BY step').column_values(0)
  end

  def table
    @conn.exec('CREATE TEMP TABLE steps (step text)')
  end

  # waited that long, not much more
  def assert_waited(seconds, took)
    assert_operator took, :>=, seconds - 0.01
    assert_operator took, :<, seconds + 2
  end

  def elapsed
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    yield
    Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  end

  # The client's lock statement goes to pg_temp.raced_*, which takes the
  # lock and then fails with sqlstate: a lock granted just as a timeout, a
  # cancel or statement_timeout ends the wait.
  def race(sqlstate)
    %w[lock lock_shared xact_lock xact_lock_shared].each do |function|
      [['k bigint', 'k'], ['k1 int, k2 int', 'k1, k2']].each do |params, args|
        @conn.exec("CREATE OR REPLACE FUNCTION pg_temp.raced_#{function}(#{params}) RETURNS void " \
                   "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_catalog.pg_advisory_#{function}(#{args}); " \
                   "RAISE EXCEPTION 'granted, then failed' USING ERRCODE = '#{sqlstate}'; END $$")
      end
    end
    @conn.rewrite = ->(sql) { sql.gsub(/pg_catalog\.pg_advisory_((?:xact_)?lock(?:_shared)?)\(/, 'pg_temp.raced_\1(') }
  end
end

class LiveTest < Minitest::Test
  include LiveHelpers

  # Keys --------------------------------------------------------------------

  def test_a_text_key_is_the_builtin_lock_on_its_key_id
    assert_equal(:ran, Pglocks.with_lock(@conn, 'orders:42') do
      assert busy?('orders:42')
      assert busy?(Pglocks.key_id('orders:42'))
      :ran
    end)
    refute busy?('orders:42')
    other_lock(Pglocks.key_id('orders:42'))
    refute(Pglocks.with_lock(@conn, 'orders:42', wait: false) { flunk 'ran without the lock' })
  end

  def test_an_integer_key_is_the_builtin_bigint_lock
    [-42, 0, INT64 - 1, -INT64].each do |key|
      assert(Pglocks.with_lock(@conn, key) { busy?(key) }, key)
      refute busy?(key), key
    end
  end

  def test_a_pair_key_is_the_builtin_int_int_lock
    [[1, 2], [-INT32, INT32 - 1]].each do |key|
      assert(Pglocks.with_lock(@conn, key) { busy?(key) }, key.inspect)
      refute busy?(key), key.inspect
    end
    refute(Pglocks.with_lock(@conn, [1, 2]) { busy?((1 << 32) | 2) }, 'the pair and the bigint spaces overlap')
  end

  def test_bad_keys_are_refused_before_any_query
    bad_keys = [nil, 1.5, INT64, -INT64 - 1, [1], [1, 2, 3], [1, '2'], [1.0, 2], [INT32, 0], [0, -INT32 - 1],
                :orders, true, {}, "\xff".dup.force_encoding('UTF-8')]
    bad_keys.each do |bad|
      assert_raises(ArgumentError, bad.inspect) { Pglocks.with_lock(@conn, bad) { flunk 'ran' } }
      assert_raises(ArgumentError, bad.inspect) { Pglocks.with_lock!(@conn, bad) { flunk 'ran' } }
    end
    assert_empty @conn.statements
  end

  def test_bad_options_are_refused_before_any_query
    [-1, -0.001, Float::INFINITY, -Float::INFINITY, Float::NAN, '1', true, Complex(1, 1), 1 << 31].each do |bad|
      assert_raises(ArgumentError, bad.inspect) { Pglocks.with_lock(@conn, 'k', timeout: bad) { flunk 'ran' } }
    end
    assert_raises(ArgumentError) { Pglocks.with_lock(@conn, 'k', timeout: 1, wait: false) { flunk 'ran' } }
    assert_raises(ArgumentError) { Pglocks.with_lock(@conn, 'k', timeout: 0, wait: false) { flunk 'ran' } }
    assert_raises(ArgumentError) { Pglocks.with_lock(@conn, 'k', xact: true) { flunk 'ran' } }
    assert_raises(ArgumentError) { Pglocks.with_lock(@conn, 'k') }
    assert_raises(ArgumentError) { Pglocks.with_lock(@conn, 'k', nowait: true) { flunk 'ran' } }
    assert_empty @conn.statements
  end

  # Stands for a connection pool (connection_pool's ConnectionPool,
  # ActiveRecord's pool): whoever asks it gets some connection.
  class Pool
    attr_reader :calls

    def initialize(conn)
      @conn = conn
      @calls = []
    end

    def with
      @calls << :with
      yield @conn
    end

    def method_missing(name, *args, &block)
      @calls << name
      @conn.public_send(name, *args, &block)
    end

    def respond_to_missing?(name, include_private = false)
      @conn.respond_to?(name, include_private)
    end
  end

  def test_a_pool_is_refused_before_any_query
    pool = Pool.new(@conn)
    [pool, SimpleDelegator.new(@conn), nil, 'dbname=postgres'].each do |not_a_connection|
      assert_raises(ArgumentError, not_a_connection.class.name) do
        Pglocks.with_lock(not_a_connection, 'pooled') { flunk 'ran' }
      end
    end
    assert_empty pool.calls
    assert_empty @conn.statements
  end

  # shared, try, timeout ----------------------------------------------------

  def test_shared_holders_coexist_and_exclude_an_exclusive_one
    Pglocks.with_lock(@conn, 'shared', shared: true) do
      refute busy?('shared', shared: true), 'a second shared holder was refused'
      assert busy?('shared'), 'an exclusive holder got in'
    end
    refute busy?('shared')
    other_lock('shared', shared: true)
    assert_equal(:both, Pglocks.with_lock(@conn, 'shared', shared: true, wait: false) { :both })
    refute(Pglocks.with_lock(@conn, 'shared', wait: false) { flunk 'exclusive beside a shared holder' })
    other_unlock('shared', shared: true)
    assert_equal(:alone, Pglocks.with_lock(@conn, 'shared', wait: false) { :alone })
  end

  def test_try
    [false, true].each do |transaction|
      other_lock('tried')
      @conn.exec('BEGIN') if transaction
      took = elapsed { refute(Pglocks.with_lock(@conn, 'tried', wait: false) { flunk 'ran without the lock' }) }
      assert_operator took, :<, 1
      assert_equal 0, locks_of_conn
      other_unlock('tried')
      assert_equal(:free, Pglocks.with_lock(@conn, 'tried', wait: false) { busy?('tried') && :free })
      next unless transaction

      assert_equal PG::PQTRANS_INTRANS, status
      assert_no_savepoint_left
      @conn.exec('COMMIT')
    end
    assert_includes @conn.statements.grep(/pg_try_advisory_lock/).first, 'pg_catalog.pg_try_advisory_lock($1::bigint)'
  end

  def test_a_timeout_that_runs_out
    other_lock('timed')
    @conn.exec("SET lock_timeout = '8s'")
    took = elapsed { refute(Pglocks.with_lock(@conn, 'timed', timeout: 0.3) { flunk 'ran without the lock' }) }
    assert_waited 0.3, took
    assert_equal '8s', setting('lock_timeout')
    assert_equal PG::PQTRANS_IDLE, status

    table
    @conn.exec("BEGIN; SET LOCAL lock_timeout = '7s'; INSERT INTO steps VALUES ('before')")
    took = elapsed { refute(Pglocks.with_lock(@conn, 'timed', timeout: 0.3) { flunk 'ran without the lock' }) }
    assert_waited 0.3, took
    assert_equal PG::PQTRANS_INTRANS, status, 'a timeout aborted the transaction'
    assert_equal '7s', setting('lock_timeout')
    @conn.exec("INSERT INTO steps VALUES ('after'); COMMIT")
    assert_equal %w[after before], steps
    assert_equal 0, locks_of_conn
    assert_equal '8s', setting('lock_timeout')
  end

  def test_a_timeout_waits_in_the_queue_for_the_lock
    [false, true].each do |transaction|
      other_lock('queued')
      @conn.exec("BEGIN; SET LOCAL lock_timeout = '7s'") if transaction
      holder = Thread.new do
        wait_until_conn_waits
        other_unlock('queued')
      end
      took = elapsed { assert_equal(:got, Pglocks.with_lock(@conn, 'queued', timeout: 10) { :got }) }
      holder.join
      assert_operator took, :<, 9
      assert_equal '7s', setting('lock_timeout') if transaction
      @conn.exec('ROLLBACK') if transaction
      assert_equal 0, locks_of_conn
    end
  end

  def test_a_timeout_of_zero_is_a_try
    other_lock('zero')
    took = elapsed { refute(Pglocks.with_lock(@conn, 'zero', timeout: 0) { flunk 'ran without the lock' }) }
    assert_operator took, :<, 1
    other_unlock('zero')
    assert_equal(:ran, Pglocks.with_lock(@conn, 'zero', timeout: 0.0) { :ran })
    refute_empty @conn.statements.grep(/pg_try_advisory_lock/)
    assert_empty @conn.statements.grep(/lock_timeout/)
  end

  def test_a_lock_granted_as_the_timeout_fires_is_given_back
    race('55P03')
    [['raced', false, false], [[-1, -2], true, false],
     ['raced', false, true], [[-1, -2], true, true]].each do |key, shared, xact|
      [false, true].each do |transaction|
        next if xact && !transaction

        @conn.exec("BEGIN; SET LOCAL lock_timeout = '7s'") if transaction
        refute(Pglocks.with_lock(@conn, key, shared: shared, xact: xact, timeout: 5) { flunk 'ran' })
        assert_raises(Pglocks::LockNotAcquired) do
          Pglocks.with_lock!(@conn, key, shared: shared, xact: xact, timeout: 5) { flunk 'ran' }
        end
        assert_equal 0, locks_of_conn, [key, shared, xact, transaction].inspect
        if transaction
          assert_equal PG::PQTRANS_INTRANS, status
          assert_equal '7s', setting('lock_timeout')
          @conn.exec('COMMIT')
        end
      end
    end
  end

  def test_the_callers_own_lock_timeout_is_an_error_not_a_lock_not_acquired
    other_lock('callers')
    [false, true].each do |transaction|
      @conn.exec(transaction ? "BEGIN; SET LOCAL lock_timeout = '100ms'" : "SET lock_timeout = '100ms'")
      assert_raises(PG::LockNotAvailable) { Pglocks.with_lock(@conn, 'callers') { flunk 'ran' } }
      assert_raises(PG::LockNotAvailable) { Pglocks.with_lock!(@conn, 'callers') { flunk 'ran' } }
      assert_equal 0, locks_of_conn
      assert_equal transaction ? PG::PQTRANS_INTRANS : PG::PQTRANS_IDLE, status
      @conn.exec(transaction ? 'ROLLBACK' : 'RESET lock_timeout')
    end
  end

  def test_an_interrupt_as_lock_timeout_is_restored_leaves_no_lock
    @conn.after = ->(sql) { raise Interrupt if sql.include?("set_config('lock_timeout', $1::text, true)") }
    [false, true].each do |xact|
      @conn.exec("BEGIN; SET LOCAL lock_timeout = '7s'")
      assert_raises(Interrupt) { Pglocks.with_lock(@conn, 'restored', xact: xact, timeout: 5) { flunk 'ran' } }
      assert_equal 0, locks_of_conn, xact
      assert_equal PG::PQTRANS_INTRANS, status
      assert_equal '7s', setting('lock_timeout')
      assert_no_savepoint_left
      @conn.exec('ROLLBACK')
    end
    # nested: the interrupted grant is given back, the outer hold stays
    @conn.exec('BEGIN')
    Pglocks.with_lock(@conn, 'restored') do
      assert_raises(Interrupt) { Pglocks.with_lock(@conn, 'restored', timeout: 5) { flunk 'ran' } }
      assert_equal 1, locks_of_conn
    end
    assert_equal 0, locks_of_conn
    @conn.exec('ROLLBACK')
  end

  def test_a_lock_granted_as_a_cancel_fires_is_given_back
    race('57014')
    [['canceled', false], [[-3, -4], true]].each do |key, shared|
      [false, true].each do |transaction|
        @conn.exec('BEGIN') if transaction
        assert_raises(PG::QueryCanceled) { Pglocks.with_lock(@conn, key, shared: shared) { flunk 'ran' } }
        assert_equal 0, locks_of_conn, [key, transaction].inspect
        assert_equal transaction ? PG::PQTRANS_INTRANS : PG::PQTRANS_IDLE, status
        @conn.exec('ROLLBACK') if transaction
      end
    end
  end

  # Interrupts during the wait --------------------------------------------

  def test_an_interrupt_during_the_wait_leaves_no_lock
    [false, true].each do |transaction|
      other_lock('interrupted')
      @conn.exec('BEGIN') if transaction
      waiter = Thread.new do
        Pglocks.with_lock(@conn, 'interrupted') { flunk 'ran' }
      rescue Exception => e
        e
      end
      wait_until_conn_waits
      waiter.raise(Interrupt)
      ended = waiter.join(5)
      other_unlock('interrupted')
      assert ended, 'the interrupted wait went on'
      assert_kind_of Interrupt, waiter.value
      assert_equal transaction ? PG::PQTRANS_INTRANS : PG::PQTRANS_IDLE, status
      assert_equal '1', @conn.exec('SELECT 1').getvalue(0, 0)
      @conn.exec('ROLLBACK') if transaction
      assert_equal 0, locks_of_conn + locks_of_conn(granted: false), transaction
    end
  end

  def test_a_cancel_during_the_wait_leaves_no_lock
    [false, true].each do |transaction|
      other_lock('canceled')
      @conn.exec('BEGIN') if transaction
      waiter = Thread.new do
        Pglocks.with_lock(@conn, 'canceled') { flunk 'ran' }
      rescue PG::Error => e
        e
      end
      wait_until_conn_waits
      @other.exec_params('SELECT pg_cancel_backend($1)', [@conn.backend_pid])
      assert_kind_of PG::QueryCanceled, waiter.value
      other_unlock('canceled')
      assert_equal transaction ? PG::PQTRANS_INTRANS : PG::PQTRANS_IDLE, status
      @conn.exec('ROLLBACK') if transaction
      assert_equal 0, locks_of_conn
    end
  end

  def test_an_interrupt_as_the_lock_is_granted_leaves_no_lock
    @conn.after = ->(sql) { raise Interrupt if sql.include?('pg_advisory_lock(') }
    [false, true].each do |transaction|
      @conn.exec('BEGIN') if transaction
      assert_raises(Interrupt) { Pglocks.with_lock(@conn, 'interrupted') { flunk 'ran' } }
      assert_equal 0, locks_of_conn, transaction
      @conn.exec('ROLLBACK') if transaction
    end
  end

  # Session scope ----------------------------------------------------------

  def test_released_when_the_body_returns_or_raises
    [false, true].each do |transaction|
      @conn.exec('BEGIN') if transaction
      assert_equal(:held, Pglocks.with_lock(@conn, 'scoped') { busy?('scoped') && :held })
      refute busy?('scoped')
      error = KeyError.new('body')
      raised = assert_raises(KeyError) { Pglocks.with_lock(@conn, 'scoped') { raise error } }
      assert_same error, raised
      refute busy?('scoped')
      assert_equal 0, locks_of_conn
      next unless transaction

      assert_equal PG::PQTRANS_INTRANS, status
      assert_no_savepoint_left
      @conn.exec('COMMIT')
    end
  end

  def test_the_bodys_error_propagates_when_the_connection_is_lost
    error = KeyError.new('body')
    raised = assert_raises(KeyError) do
      Pglocks.with_lock(@conn, 'lost') do
        @other.exec_params('SELECT pg_terminate_backend($1)', [@conn.backend_pid])
        raise error
      end
    end
    assert_same error, raised
  end

  def test_a_pair_key_changed_by_the_block_is_still_the_one_released
    key = [5, 6]
    Pglocks.with_lock(@conn, key) { key[1] = 7 }
    refute busy?([5, 6]), 'lock left behind'
    assert_equal 0, locks_of_conn
  end

  def test_released_after_break_throw_and_return
    assert_equal(:broke, Pglocks.with_lock(@conn, 'left') { break :broke })
    refute busy?('left')
    assert_equal(:thrown, catch(:out) { Pglocks.with_lock(@conn, 'left') { throw :out, :thrown } })
    refute busy?('left')
  end

  def test_a_body_that_aborts_the_transaction
    table
    @conn.exec("BEGIN; INSERT INTO steps VALUES ('before')")
    assert_raises(PG::DivisionByZero) do
      Pglocks.with_lock(@conn, 'aborted') do
        @conn.exec("INSERT INTO steps VALUES ('inside')")
        @conn.exec('SELECT 1 / 0')
      end
    end
    refute busy?('aborted'), 'lock left behind'
    assert_equal PG::PQTRANS_INERROR, status, 'the transaction must stay aborted'
    @conn.exec('COMMIT') # of an aborted transaction: a rollback
    assert_empty steps
  end

  def test_a_body_that_swallows_the_error_commits_nothing
    table
    @conn.exec("BEGIN; INSERT INTO steps VALUES ('before')")
    error = assert_raises(PG::InFailedSqlTransaction) do
      Pglocks.with_lock(@conn, 'swallowed') do
        @conn.exec('SELECT 1 / 0')
      rescue PG::DivisionByZero
        :went_on
      end
    end
    assert_match(/aborted inside an advisory lock's block/, error.message)
    assert_equal 'The lock has been released; roll the transaction back.',
                 error.result.error_field(PG::PG_DIAG_MESSAGE_HINT)
    refute busy?('swallowed'), 'lock left behind'
    assert_equal PG::PQTRANS_INERROR, status
    @conn.exec('COMMIT')
    assert_empty steps
  end

  def test_a_body_that_aborts_a_transaction_it_began
    table
    assert_raises(PG::InFailedSqlTransaction) do
      Pglocks.with_lock(@conn, 'began') do
        @conn.exec("BEGIN; INSERT INTO steps VALUES ('inside')")
        @conn.exec('SELECT 1 / 0')
      rescue PG::DivisionByZero
        nil
      end
    end
    refute busy?('began')
    assert_equal PG::PQTRANS_INERROR, status
    @conn.exec('ROLLBACK')
    assert_empty steps
  end

  def test_a_body_that_commits_or_rolls_back
    table
    @conn.exec('BEGIN')
    Pglocks.with_lock(@conn, 'manual') { @conn.exec("INSERT INTO steps VALUES ('committed'); COMMIT") }
    refute busy?('manual')
    assert_equal PG::PQTRANS_IDLE, status
    @conn.exec('BEGIN')
    Pglocks.with_lock(@conn, 'manual') { @conn.exec("INSERT INTO steps VALUES ('rolled back'); ROLLBACK") }
    refute busy?('manual')
    @conn.exec('BEGIN')
    Pglocks.with_lock(@conn, 'manual') { @conn.exec("COMMIT; BEGIN; INSERT INTO steps VALUES ('next')") }
    refute busy?('manual')
    assert_equal PG::PQTRANS_INTRANS, status, "the body's new transaction"
    @conn.exec('COMMIT')
    assert_equal %w[committed next], steps
  end

  def test_a_body_that_commits_then_aborts_a_new_transaction
    table
    @conn.exec('BEGIN')
    assert_raises(PG::InFailedSqlTransaction) do
      Pglocks.with_lock(@conn, 'manual') do
        @conn.exec("INSERT INTO steps VALUES ('committed'); COMMIT; BEGIN; INSERT INTO steps VALUES ('lost')")
        @conn.exec('SELECT 1 / 0')
      rescue PG::DivisionByZero
        nil
      end
    end
    refute busy?('manual')
    assert_equal PG::PQTRANS_INERROR, status
    @conn.exec('ROLLBACK')
    assert_equal %w[committed], steps
  end

  def test_a_body_that_rolls_back_to_an_older_savepoint
    table
    @conn.exec("BEGIN; INSERT INTO steps VALUES ('before'); SAVEPOINT mine")
    Pglocks.with_lock(@conn, 'rolled back to') do
      @conn.exec("INSERT INTO steps VALUES ('undone'); ROLLBACK TO SAVEPOINT mine")
    end
    refute busy?('rolled back to')
    assert_equal PG::PQTRANS_INTRANS, status
    @conn.exec('COMMIT')
    assert_equal %w[before], steps
  end

  def test_a_body_that_releases_an_older_savepoint_aborts_the_transaction
    @conn.exec('BEGIN; SAVEPOINT mine')
    assert_raises(PG::SEInvalidSpecification) do
      Pglocks.with_lock(@conn, 'released') { @conn.exec('RELEASE SAVEPOINT mine') } # and ours with it
    end
    refute busy?('released'), 'lock left behind'
    assert_equal PG::PQTRANS_INERROR, status
    @conn.exec('ROLLBACK')
  end

  def test_nested_locks_of_one_key_on_one_connection
    [false, true].each do |transaction|
      @conn.exec('BEGIN') if transaction
      Pglocks.with_lock(@conn, 'nested') do
        Pglocks.with_lock(@conn, 'nested') { assert busy?('nested') }
        assert busy?('nested'), 'the inner block released the outer hold'
        # a lock statement that fails before any grant
        @conn.rewrite = ->(sql) { sql.sub('pg_catalog.pg_advisory_lock(', 'pg_catalog.no_such_function(') }
        assert_raises(PG::UndefinedFunction) { Pglocks.with_lock(@conn, 'nested') { flunk 'ran' } }
        @conn.rewrite = nil
        assert busy?('nested'), 'a failed attempt released the outer hold'
      end
      refute busy?('nested')
      assert_equal 0, locks_of_conn
      next unless transaction

      assert_equal PG::PQTRANS_INTRANS, status
      @conn.exec('COMMIT')
    end
  end

  # Transaction scope ------------------------------------------------------

  def test_a_transaction_lock_is_held_until_the_transaction_ends
    %w[COMMIT ROLLBACK].each do |ending|
      @conn.exec('BEGIN')
      assert_equal(:held, Pglocks.with_lock(@conn, [7, 42], xact: true) { busy?([7, 42]) && :held })
      assert busy?([7, 42]), 'released before the transaction ended'
      assert_equal PG::PQTRANS_INTRANS, status
      assert_no_savepoint_left
      @conn.exec(ending)
      refute busy?([7, 42]), ending
    end
    @conn.exec('BEGIN')
    Pglocks.with_lock(@conn, 'xs', xact: true, shared: true) { refute busy?('xs', shared: true) }
    assert busy?('xs')
    @conn.exec('COMMIT')
    refute busy?('xs')
  end

  def test_a_transaction_lock_that_is_not_acquired
    other_lock('xbusy')
    @conn.exec("BEGIN; SET LOCAL lock_timeout = '7s'")
    refute(Pglocks.with_lock(@conn, 'xbusy', xact: true, wait: false) { flunk 'ran' })
    took = elapsed { refute(Pglocks.with_lock(@conn, 'xbusy', xact: true, timeout: 0.3) { flunk 'ran' }) }
    assert_waited 0.3, took
    assert_equal PG::PQTRANS_INTRANS, status
    assert_equal '7s', setting('lock_timeout')
    other_unlock('xbusy')
    assert(Pglocks.with_lock(@conn, 'xbusy', xact: true, timeout: 5) { true })
    assert_equal '7s', setting('lock_timeout')
    assert busy?('xbusy')
    assert_no_savepoint_left
    @conn.exec('COMMIT')
    refute busy?('xbusy')
  end

  # with_lock's value, the unlock checked ----------------------------------

  def test_the_value
    assert_nil(Pglocks.with_lock(@conn, 'value') { nil })
    assert_equal([1, 2], Pglocks.with_lock(@conn, 'value') { [1, 2] })
    assert_equal(false, Pglocks.with_lock!(@conn, 'value') { false })
    other_lock('value')
    assert_equal(false, Pglocks.with_lock(@conn, 'value', wait: false) { flunk 'ran' })
    error = assert_raises(Pglocks::LockNotAcquired) { Pglocks.with_lock!(@conn, 'value', wait: false) { flunk 'ran' } }
    assert_kind_of Pglocks::Error, error
  end

  def test_an_unlock_that_finds_the_lock_gone_is_an_error
    unlock = ->(key) { @conn.exec_params('SELECT pg_advisory_unlock($1::bigint)', [Pglocks.key_id(key)]) }
    [false, true].each do |transaction|
      @conn.exec('BEGIN') if transaction
      assert_raises(Pglocks::LockLost) { Pglocks.with_lock(@conn, 'gone') { unlock.call('gone') } }
      error = KeyError.new('body')
      assert_same(error, assert_raises(KeyError) do
        Pglocks.with_lock(@conn, 'gone') do
          unlock.call('gone')
          raise error
        end
      end)
      assert_equal 0, locks_of_conn
      @conn.exec('COMMIT') if transaction
    end
  end

  # Typed parameters, type maps --------------------------------------------

  def test_every_parameter_is_typed
    @conn.exec('BEGIN')
    ['typed', 42, [1, 2]].each do |key|
      Pglocks.with_lock(@conn, key) { nil }
      Pglocks.with_lock(@conn, key, shared: true, timeout: 1) { nil }
      Pglocks.with_lock(@conn, key, wait: false, xact: true) { nil }
    end
    @conn.exec('COMMIT')
    statements = @conn.statements.grep(/\$\d/)
    assert_operator statements.size, :>=, 9
    statements.each { |sql| refute_match(/\$\d+(?!\d|::)/, sql, 'an untyped parameter') }
  end

  def test_a_connection_that_decodes_results
    @conn.type_map_for_results = PG::BasicTypeMapForResults.new(@conn)
    @conn.type_map_for_queries = PG::BasicTypeMapForQueries.new(@conn)
    @conn.exec('BEGIN')
    assert_equal(:ran, Pglocks.with_lock(@conn, 'decoded', wait: false) { :ran })
    assert_equal(:ran, Pglocks.with_lock(@conn, 'decoded', timeout: 1) { :ran })
    @conn.exec('COMMIT')
    assert_equal 0, locks_of_conn
  end
end

# Against the pglocks extension: the client's ids and locks are its own.
class ExtensionTest < Minitest::Test
  include LiveHelpers

  def setup
    super
    @other.exec('CREATE EXTENSION IF NOT EXISTS pglocks')
  end

  def test_key_ids_are_the_extensions
    Vectors.each do |key, _id, _crc, description|
      next if key.include?("\0") || key.bytesize > 10_000 # text holds no NUL

      ids = @other.exec_params('SELECT pglocks.key_id($1::text), pglocks.crc32_key_id($1::text)', [key]).values[0]
      assert_equal [Pglocks.key_id(key), Pglocks.crc32_key_id(key)], ids.map(&:to_i), description
    end
  end

  def test_the_extensions_lock_and_the_clients_exclude_each_other
    Pglocks.with_lock(@conn, 'orders:42') do
      assert_equal 'f', @other.exec("SELECT pglocks.lock('orders:42', wait => false)").getvalue(0, 0)
    end
    assert_equal 't', @other.exec("SELECT pglocks.lock('orders:42')").getvalue(0, 0)
    refute(Pglocks.with_lock(@conn, 'orders:42', wait: false) { flunk 'ran' })
    @other.exec("SELECT pglocks.unlock('orders:42')")
    Pglocks.with_lock(@conn, [7, 42]) do
      assert_equal 'f', @other.exec('SELECT pglocks.lock(7, 42, wait => false)').getvalue(0, 0)
    end
  end

  def test_an_integer_key_is_the_bigint_not_the_text
    Pglocks.with_lock(@conn, 42) do
      assert_equal 'f', @other.exec('SELECT pglocks.lock(42::bigint, wait => false)').getvalue(0, 0)
      assert_equal 't', @other.exec("SELECT pglocks.lock('42', wait => false)").getvalue(0, 0)
      @other.exec("SELECT pglocks.unlock('42')")
    end
  end
end

# In a database where the extension does not exist.
class WithoutTheExtensionTest < Minitest::Test
  include LiveHelpers

  def setup
    @admin = PG.connect
    @database = "pglocks_ruby_#{Process.pid}"
    @admin.exec("CREATE DATABASE #{@database}")
    @conn = TestConnection.new(STATEMENT_TIMEOUT.merge(dbname: @database))
    @other = PG.connect(dbname: @database)
    quiet
  end

  def teardown
    super
    @admin.exec("DROP DATABASE IF EXISTS #{@database}")
    @admin.close
  end

  def test_every_scope_works
    assert_nil @conn.exec("SELECT to_regnamespace('pglocks')").getvalue(0, 0)
    assert_equal '0', @conn.exec("SELECT count(*) FROM pg_extension WHERE extname = 'pglocks'").getvalue(0, 0)
    assert(Pglocks.with_lock(@conn, 'no extension') { busy?('no extension') })
    other_lock('no extension')
    refute(Pglocks.with_lock(@conn, 'no extension', timeout: 0.1) { flunk 'ran' })
    other_unlock('no extension')
    @conn.exec('BEGIN')
    assert(Pglocks.with_lock(@conn, [1, 2], shared: true, timeout: 1) { busy?([1, 2]) })
    assert(Pglocks.with_lock(@conn, 42, xact: true) { busy?(42) })
    @conn.exec('COMMIT')
    assert_equal 0, locks_of_conn
  end
end
