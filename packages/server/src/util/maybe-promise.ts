/**
 * A value now, or later. The decision path returns values synchronously whenever nothing needs I/O (a cached,
 * verified credential), so a cache hit allocates no promise and waits for no microtask; only a storage read
 * makes it a promise.
 */
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}
