// The peer of the Portunus benchmark: panva's oidc-provider (OpenID Certified), with its
// default in-memory adapter, configured with clients equivalent to the ones bench/run
// creates on Portunus. Usage: node server.mjs PORT CLIENT_ID CLIENT_SECRET
//
// - client_credentials + introspection (features.clientCredentials, introspection);
// - opaque access tokens by default; JWT access tokens through resource indicators:
//   `resource=urn:bench:jwt-es256` (ES256) or `urn:bench:jwt-rs256` (RS256);
// - ID tokens and discovery/JWKS as usual (RS256 and ES256 keys, generated at start).
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const [port = '3000', clientId = 'bench', clientSecret = 'bench-secret-bench-secret-bench-secret'] =
  process.argv.slice(2);

const jwk = (options) => {
  const { privateKey } = crypto.generateKeyPairSync(...options);
  return privateKey.export({ format: 'jwk' });
};
const rsa = { ...jwk(['rsa', { modulusLength: 2048 }]), alg: 'RS256', use: 'sig', kid: 'rs256' };
const ec = { ...jwk(['ec', { namedCurve: 'P-256' }]), alg: 'ES256', use: 'sig', kid: 'es256' };

const resources = {
  'urn:bench:jwt-es256': 'ES256',
  'urn:bench:jwt-rs256': 'RS256',
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'api',
    },
  ],
  jwks: { keys: [rsa, ec] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', 'api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        const alg = resources[resourceIndicator];
        if (!alg) throw new Error(`unknown resource ${resourceIndicator}`);
        return {
          scope: 'api',
          audience: resourceIndicator,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  ttl: { ClientCredentials: 3600 },
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
