/** ECS `x509.subject.*` / `x509.issuer.*` from a distinguished name as Zeek writes it (RFC 2253, `\,` escapes). */

const ECS_ATTRIBUTE: Readonly<Record<string, string>> = {
  CN: 'common_name',
  C: 'country',
  L: 'locality',
  O: 'organization',
  OU: 'organizational_unit',
  ST: 'state_or_province',
};

function add(out: Record<string, unknown>, rdn: string): void {
  const eq = rdn.indexOf('=');
  if (eq <= 0) return;
  const name = ECS_ATTRIBUTE[rdn.slice(0, eq).trim().toUpperCase()];
  if (name === undefined) return;
  const value = rdn.slice(eq + 1).trim();
  if (value.length === 0) return;
  const list = out[name] as string[] | undefined;
  if (list === undefined) out[name] = [value];
  else list.push(value);
}

/** `{ distinguished_name, common_name: [...], organization: [...], ... }` for an ECS x509 subject or issuer. */
export function distinguishedName(dn: string): Record<string, unknown> {
  const out: Record<string, unknown> = { distinguished_name: dn };
  let rdn = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i];
    if (c === '\\' && i + 1 < dn.length) {
      rdn += dn[++i];
    } else if (c === ',') {
      add(out, rdn);
      rdn = '';
    } else {
      rdn += c;
    }
  }
  add(out, rdn);
  return out;
}
