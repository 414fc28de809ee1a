/** A text key (locked by its keyId), a 64-bit integer, or a pair of 32-bit integers. */
export type Key = string | number | bigint | readonly [number, number];

/** One connection: a pg.Client, or a client from pool.connect(). A pool is refused. */
export interface Connection {
  query(text: string, values?: any[]): Promise<{ rows: any[] }>;
  totalCount?: never;
}

export interface LockOptions {
  /** A shared lock (default: exclusive). */
  shared?: boolean;
  /** false: take the lock only if it is free now. */
  wait?: boolean;
  /** Wait at most this many milliseconds (0: a try). */
  timeout?: number | null;
  /** A transaction lock, held until the open transaction ends. */
  xact?: boolean;
}

export type LockResult<T> = { acquired: true; result: T } | { acquired: false; result: undefined };

/** First 8 bytes of SHA-256 over the key's UTF-8 bytes, signed little-endian: pglocks.key_id. */
export function keyId(key: string): bigint;
/** django-pglocks 1.x's id: CRC-32 of the UTF-8 bytes, signed 32-bit. */
export function crc32KeyId(key: string): bigint;
/** Run fn while holding an advisory lock on key; fn is not run when the lock is not acquired. */
export function withLock<T>(
  client: Connection,
  key: Key,
  fn: () => T | PromiseLike<T>,
  options?: LockOptions,
): Promise<LockResult<T>>;
