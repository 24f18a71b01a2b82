// A user "online": an authenticated graphql-ws socket whose connection was acknowledged.
import type { Client } from 'graphql-ws';
import type { TestServer, TestUser } from './server.ts';

export async function online(s: TestServer, user: Pick<TestUser, 'token'>): Promise<Client> {
  const client = s.ws({ token: user.token, lazy: false });
  await new Promise<void>((resolve, reject) => {
    client.on('connected', () => resolve());
    client.on('closed', (e) => reject(new Error(`socket closed: ${(e as { code: number }).code}`)));
  });
  return client;
}
