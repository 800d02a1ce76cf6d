// Deep freezing of stored objects (tests and debug): objects in the store are shared by every
// snapshot that holds them, so a reader mutating one would corrupt the others' views.

export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) deepFreeze(v);
  return value;
}
