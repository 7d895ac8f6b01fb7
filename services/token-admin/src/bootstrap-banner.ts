export interface BannerFacts {
  readonly adminToken: string;
  readonly expiresAt: Date;
  /** The listeners speak TLS (TESSERA_TLS_CERT_FILE): https, by the name on the certificate. */
  readonly tls?: boolean;
  readonly adminPort: number;
  readonly validatorPort?: number;
  /** The validator's HTTP port: forward-auth, /introspect, /metrics. */
  readonly validatorHttpPort?: number;
}

/** What a first start prints: the one-time admin token and calls to copy and paste. */
export function formatBootstrapBanner(facts: BannerFacts): string {
  const base = facts.tls ? "https://localhost" : "http://127.0.0.1";
  const admin = `${base}:${facts.adminPort}`;
  const lines = [
    "",
    "Tessera is ready. The built-in admin token is shown this once — keep it safe:",
    "",
    `  export TESSERA_TOKEN=${facts.adminToken}`,
    "",
    "Then, from the Tessera checkout, the command line reads it from there:",
    ...(facts.adminPort === 8080 ? [] : [`  export TESSERA_ADMIN_URL=${admin}`]),
    ...(facts.validatorPort === undefined || facts.validatorPort === 9090 ? [] : [`  export TESSERA_VALIDATOR_URL=http://127.0.0.1:${facts.validatorPort}`]),
    "  npx tessera whoami",
    "",
    `It expires ${facts.expiresAt.toISOString()} (TESSERA_ADMIN_TOKEN_TTL_MS): create your own admins before then.`,
    "Lost or expired: stop Tessera and run `npm run recover-admin` for a new one (the old one is revoked).",
    "",
    "Open the web console and sign in with that token:",
    `  ${admin}/`,
    "",
    "Create a token (Connect JSON over HTTP/1.1):",
    `  curl -s ${admin}/tessera.v1.TokenAdminService/CreateToken \\`,
    `    -H "Authorization: Bearer $TESSERA_TOKEN" -H "Content-Type: application/json" \\`,
    `    -d '{"name":"my first token","scopes":["orders:read"],"expiry":{"after":{"amount":30,"unit":"EXPIRY_UNIT_DAYS"}}}'`,
    "",
  ];
  if (facts.validatorPort !== undefined) {
    lines.push(
      "Validate it (gRPC, schema from server reflection):",
      `  npx buf curl --protocol grpc${facts.tls ? "" : " --http2-prior-knowledge"} \\`,
      `    -d '{"token":"<token_value from above>","required_scope":"orders:read"}' \\`,
      `    ${base}:${facts.validatorPort}/tessera.v1.TokenValidatorService/ValidateToken`,
      "",
    );
  }
  if (facts.validatorHttpPort !== undefined) {
    lines.push(
      "Ask as nginx auth_request would (200 with identity headers, 401 or 403):",
      `  curl -si ${base}:${facts.validatorHttpPort}/auth?scope=orders:read -H "Authorization: Bearer <token_value>"`,
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}
