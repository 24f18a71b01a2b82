// Ed25519 keys that sign access tokens, kept in the SigningKey table so every instance signs and verifies with the
// same set. The newest unretired key signs; a retired key keeps verifying (and stays in the JWKS) until every token
// it could have signed has expired. Private keys are stored encrypted with a key derived from AUTH_SECRET.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { PrismaClient, SigningKey } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';

export const ALG = 'EdDSA';
/** How long an instance trusts its in-memory copy of the key set before reading the table again. */
const KEY_CACHE_MS = 60_000;

export interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
  privateKey: CryptoKey | null;
  publicKey: CryptoKey;
}

/** How long a retired key must keep verifying: the longest token lifetime plus the instances' key cache windows. */
export const keepRetiredMs = (tokenTtlMs: number) => tokenTtlMs + 2 * KEY_CACHE_MS;

type Sealed = { v: 1; iv: string; tag: string; data: string };

function sealKey(secret: string) {
  return createHash('sha256').update(`parley:signing-key:${secret}`).digest();
}

function seal(jwk: JWK, secret: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
  return { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function unseal(sealed: Sealed, secret: string): JWK {
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8')) as JWK;
}

/** Creates a new signing key and retires the previous ones; deletes keys retired longer than `keepRetiredMs` ago. */
export async function rotateSigningKey(prisma: PrismaClient, secret: string, keepRetiredMs: number): Promise<string> {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
  const kid = randomBytes(16).toString('base64url');
  const now = new Date();
  await prisma.$transaction([
    prisma.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: now } }),
    prisma.signingKey.create({
      data: {
        id: kid,
        algorithm: ALG,
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' },
        privateJwk: seal(await exportJWK(privateKey), secret),
        createdAt: now,
      },
    }),
    prisma.signingKey.deleteMany({ where: { retiredAt: { lt: new Date(now.getTime() - keepRetiredMs) } } }),
  ]);
  return kid;
}

export class SigningKeys {
  private keys: LoadedKey[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly secret: string,
    /** Longest lifetime of a token: a retired key verifies for this long (plus the cache window). */
    private readonly tokenTtlMs: number,
    private readonly logger: Logger,
  ) {}

  private get keepRetiredMs() {
    return keepRetiredMs(this.tokenTtlMs);
  }

  private async load(): Promise<void> {
    const rows = await this.prisma.signingKey.findMany({
      where: { OR: [{ retiredAt: null }, { retiredAt: { gt: new Date(Date.now() - this.keepRetiredMs) } }] },
      orderBy: { createdAt: 'desc' },
    });
    this.keys = (await Promise.all(rows.map((row) => this.decode(row)))).filter((k): k is LoadedKey => k !== null);
    this.loadedAt = Date.now();
  }

  private async decode(row: SigningKey): Promise<LoadedKey | null> {
    const publicJwk = row.publicJwk as JWK;
    let privateKey: CryptoKey | null = null;
    try {
      if (!row.retiredAt) privateKey = (await importJWK(unseal(row.privateJwk as Sealed, this.secret), ALG)) as CryptoKey;
    } catch {
      this.logger.warn('signing key cannot be decrypted with this AUTH_SECRET; it will not sign', { kid: row.id });
    }
    return {
      kid: row.id,
      publicJwk,
      createdAt: row.createdAt,
      retiredAt: row.retiredAt,
      privateKey,
      publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey,
    };
  }

  private refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.loadedAt < KEY_CACHE_MS) return Promise.resolve();
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  /** The key to sign with; the first call on an empty table creates one. */
  async signingKey(): Promise<LoadedKey> {
    await this.refresh();
    let key = this.keys.find((k) => !k.retiredAt && k.privateKey);
    if (!key) {
      await this.rotate();
      key = this.keys.find((k) => !k.retiredAt && k.privateKey);
      if (!key) throw new Error('no usable signing key after rotation');
    }
    return key;
  }

  /** The public key for `kid`, re-reading the table (at most every few seconds) when it is unknown here. */
  async verificationKey(kid: string): Promise<CryptoKey | null> {
    await this.refresh();
    let key = this.keys.find((k) => k.kid === kid);
    if (!key && Date.now() - this.loadedAt > 2_000) {
      await this.refresh(true);
      key = this.keys.find((k) => k.kid === kid);
    }
    return key?.publicKey ?? null;
  }

  /** The public keys that currently verify, as a JWKS document. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.signingKey();
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** Starts signing with a new key; older keys keep verifying until their tokens have expired. */
  async rotate(): Promise<string> {
    const kid = await rotateSigningKey(this.prisma, this.secret, this.keepRetiredMs);
    await this.refresh(true);
    this.logger.info('signing key rotated', { kid });
    return kid;
  }
}
