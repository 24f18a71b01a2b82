// JWT access tokens (better-auth's jwt plugin routes): GET /token for the signed-in session, GET /jwks to verify.
import type { Route } from './http.ts';

export const tokenRoutes: Route[] = [
  {
    method: 'GET',
    path: '/token',
    async handler({ requireViewer, services }) {
      const { token } = await services.auth.issueAccessToken(await requireViewer());
      return { body: { token } };
    },
  },
  {
    method: 'GET',
    path: '/jwks',
    async handler({ services }) {
      return { body: await services.signingKeys.jwks(), headers: { 'cache-control': 'public, max-age=60' } };
    },
  },
];
