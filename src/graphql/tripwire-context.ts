// The context a shared subscription execution runs with (graphql/shared-events.ts): the subscriber's own, behind a
// tripwire on everything that may differ between subscribers.

/** Whether a context property is the same for every subscriber of one topic (a topic never spans tenants). */
const shared = (prop: PropertyKey): boolean => prop === 'tenant' || prop === 'prisma' || prop === 'services' || prop === 'then';

/**
 * The context with a tripwire on every property that may differ between subscribers. Symbol-keyed properties are
 * where libraries keep per-request caches (Pothos keeps its scope and selection caches under one): the shared
 * execution gets its own, empty ones, so nothing one subscriber's execution cached (such as their evaluated auth
 * scopes) is read on behalf of all; a symbol the subscriber's context itself carries trips the wire.
 */
export function watched<T extends object>(context: T, onPersonal: () => void): T {
  const own = new Map<symbol, unknown>();
  const mine = (prop: PropertyKey): prop is symbol => {
    if (typeof prop !== 'symbol') return false;
    if (!own.has(prop) && Reflect.has(context, prop)) onPersonal();
    return true;
  };
  const refuse = () => {
    onPersonal();
    return false;
  };
  return new Proxy(context, {
    get(target, prop) {
      if (mine(prop)) return own.get(prop);
      if (!shared(prop)) onPersonal();
      return Reflect.get(target, prop);
    },
    has(target, prop) {
      if (mine(prop)) return own.has(prop);
      if (!shared(prop)) onPersonal();
      return Reflect.has(target, prop);
    },
    set(_target, prop, value) {
      if (typeof prop !== 'symbol') return refuse();
      own.set(prop, value);
      return true;
    },
    getOwnPropertyDescriptor(target, prop) {
      onPersonal();
      return Reflect.getOwnPropertyDescriptor(target, prop);
    },
    ownKeys(target) {
      onPersonal();
      return Reflect.ownKeys(target);
    },
    defineProperty: refuse,
    deleteProperty: refuse,
  });
}
