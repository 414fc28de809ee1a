# frozen_string_literal: true

require 'delegate'
require 'minitest/autorun'
require 'pg'
require 'pglocks'

class VectorsTest < Minitest::Test
  # vectors/key_ids.tsv: key as UTF-8 hex or repeat:<unit hex>:<count>, key_id, crc32_key_id
  def test_every_shared_vector
    count = 0
    File.foreach(File.join(__dir__, '..', '..', '..', 'vectors', 'key_ids.tsv'), encoding: 'UTF-8') do |line|
      next if line.start_with?('#')

      column, id, crc, description = line.chomp.split("\t", -1)
      bytes = if column.start_with?('repeat:')
                _, unit, n = column.split(':')
                [unit].pack('H*') * Integer(n)
              else
                [column].pack('H*')
              end
      key = bytes.force_encoding(Encoding::UTF_8)
      assert_equal Integer(id), Pglocks.key_id(key), description
      assert_equal Integer(crc), Pglocks.crc32_key_id(key), description
      count += 1
    end
    assert_operator count, :>=, 300
  end

  def test_invalid_utf8_is_refused
    assert_raises(ArgumentError) { Pglocks.key_id("\xff".dup.force_encoding('UTF-8')) }
  end
end

# Against a live server with the pglocks extension, from libpq's environment.
class LiveTest < Minitest::Test
  def setup
    skip 'PGHOST is not set: no server' unless ENV['PGHOST']
    @client = PG.connect
    @server = PG.connect
    @server.exec('CREATE EXTENSION IF NOT EXISTS pglocks')
  end

  def teardown
    @client&.close
    @server&.close
  end

  def server_try(key)
    @server.exec_params('SELECT pglocks.lock($1::text, wait => false) AS ok', [key])[0]['ok'] == 't'
  end

  def test_client_lock_is_the_server_lock
    assert(Pglocks.with_lock(@client, 'orders:42') { refute server_try('orders:42') })
    assert server_try('orders:42'), 'not released'
    refute(Pglocks.with_lock(@client, 'orders:42', wait: false) { flunk 'ran without the lock' })
    @server.exec("SELECT pglocks.unlock('orders:42')")
  end

  def test_pair_and_bigint_keys
    Pglocks.with_lock(@client, [1, 2]) do
      assert_equal 'f', @server.exec('SELECT pglocks.lock(1, 2, wait => false) AS ok')[0]['ok']
    end
    Pglocks.with_lock(@client, -42) do
      assert_equal 'f', @server.exec('SELECT pglocks.lock(-42::bigint, wait => false) AS ok')[0]['ok']
    end
    assert_raises(ArgumentError) { Pglocks.with_lock(@client, [1]) { nil } }
    assert_raises(RangeError) { Pglocks.with_lock(@client, 1 << 63) { nil } }
  end

  # What a cancel or statement_timeout that fires just as the lock is granted
  # leaves: the lock granted and the statement failed. Stand in for
  # pg_advisory_lock with a function that does both.
  class Racing < SimpleDelegator
    def exec_params(sql, *rest)
      __getobj__.exec_params(sql.sub(/pg_advisory_lock(_shared)?\(/, 'pg_temp.granted_as_canceled\1('), *rest)
    end
  end

  def test_a_grant_that_races_with_an_error_is_given_back
    [['', 'k bigint', 'k'], ['_shared', 'k1 int, k2 int', 'k1, k2']].each do |suffix, params, args|
      @client.exec("CREATE FUNCTION pg_temp.granted_as_canceled#{suffix}(#{params}) RETURNS void " \
                   "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_lock#{suffix}(#{args}); " \
                   "RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = '57014'; END $$")
    end
    [['raced', false], [[-1, -2], true]].each do |key, shared|
      assert_raises(PG::QueryCanceled) do
        Pglocks.with_lock(Racing.new(@client), key, shared: shared) { flunk 'ran without the lock' }
      end
      held = @client.exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
      assert_equal '0', held[0]['count'], key.inspect
    end
  end

  def test_released_when_the_block_raises_in_a_broken_transaction
    @client.exec('BEGIN')
    assert_raises(PG::DivisionByZero) do
      Pglocks.with_lock(@client, 'broken') { @client.exec('SELECT 1 / 0') }
    end
    assert server_try('broken'), 'not released'
    @server.exec("SELECT pglocks.unlock('broken')")
  end
end
