import type { ClientBase } from 'pg';

export type Key = string | bigint | number | [number, number];
export function keyId(key: string): bigint;
export function crc32KeyId(key: string): bigint;
export function withLock<T>(
  client: ClientBase,
  key: Key,
  fn: () => Promise<T> | T,
  options?: { shared?: boolean; wait?: boolean; timeout?: number | null },
): Promise<{ acquired: boolean; result: T | undefined }>;
