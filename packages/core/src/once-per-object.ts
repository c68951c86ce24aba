/**
 * `compute`, run once per object and remembered for as long as the object lives: for values
 * derived from objects that are shared and never changed (a block of a snapshot, its schema), read
 * by every test of a run or every row of a page.
 */
export function oncePerObject<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const computed = new WeakMap<K, V>();
  return (key) => {
    if (computed.has(key)) return computed.get(key)!;
    const value = compute(key);
    computed.set(key, value);
    return value;
  };
}
