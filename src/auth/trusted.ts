// Which origins may send cookie-authenticated writes, and where auth links may redirect a browser.
import type { Services } from '../services.ts';

/** Origins allowed to send cookie-authenticated writes and to receive redirects: PUBLIC_URL, CORS_ORIGINS, and this server. */
export function trustedOrigin(services: Services, host: string | null | undefined, origin: string): boolean {
  const { config } = services;
  if (config.CORS_ORIGINS.split(',').some((o) => o.trim() === origin)) return true;
  if (new URL(services.publicUrl()).origin === origin) return true;
  return !!host && (origin === `http://${host}` || origin === `https://${host}`);
}

/** A redirect target better-auth would accept: a relative path, or an absolute URL on a trusted origin. */
export function trustedRedirect(services: Services, host: string | null | undefined, target: string): boolean {
  if (target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\')) return true;
  try {
    return trustedOrigin(services, host, new URL(target).origin);
  } catch {
    return false;
  }
}
