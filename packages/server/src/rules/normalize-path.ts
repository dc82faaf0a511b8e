/**
 * The path an upstream will serve for a request target, so a rule is matched on what the service sees and not on
 * a spelling that routes elsewhere (SECURITY.md #46). Steps, in order:
 *
 * 1. The query and fragment are cut off; the target must start with `/`.
 * 2. Percent-escapes are decoded once. An escaped `/`, `\` or `%` (`%2F`, `%5C`, `%25`), a NUL or other control
 *    character, a raw backslash, or an invalid escape or UTF-8 sequence makes the path malformed: servers disagree
 *    on those, so no rule can know what the upstream would serve.
 * 3. Matrix parameters (`;jsessionid=...`) are cut from each segment, as Java servers do before routing.
 * 4. Empty segments collapse (`//` is `/`, as nginx's `merge_slashes` does), `.` segments go and `..` removes the
 *    segment before it. A `..` above the root is malformed (nginx answers 400).
 *
 * A trailing slash is kept: `/admin/` and `/admin` may be different resources. Returns null when malformed.
 */
export function normalizePath(target: string): string | null {
  let end = target.length;
  for (const mark of ['?', '#']) {
    const at = target.indexOf(mark);
    if (at !== -1 && at < end) end = at;
  }
  const raw = target.slice(0, end);
  if (!raw.startsWith('/')) return null;
  if (/%(2f|5c|25)/i.test(raw) || raw.includes('\\')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  // Control characters (C0, DEL, C1) never belong in a path a rule is about.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(decoded)) return null;
  const segments: string[] = [];
  const parts = decoded.split('/');
  for (let index = 1; index < parts.length; index++) {
    const semicolon = parts[index]!.indexOf(';');
    const segment = semicolon === -1 ? parts[index]! : parts[index]!.slice(0, semicolon);
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null;
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  const last = parts[parts.length - 1]!;
  const lastSegment = last.includes(';') ? last.slice(0, last.indexOf(';')) : last;
  // `/a/` and `/a/.` and `/a/b/..` name a directory: keep the trailing slash when the last segment did.
  const trailing = segments.length > 0 && (lastSegment === '' || lastSegment === '.' || lastSegment === '..');
  return `/${segments.join('/')}${trailing ? '/' : ''}`;
}

/**
 * A host as rules see it: lower-case, without a port or a trailing dot (`API.Example.com.:443` is
 * `api.example.com`), IPv6 literals in brackets. Null when it is not a host name or address (SECURITY.md #47).
 */
export function normalizeHost(host: string): string | null {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    if (close === -1) return null;
    const rest = name.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return name.slice(0, close + 1);
  }
  const colon = name.lastIndexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(name.slice(colon + 1))) return null;
    name = name.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.length > 253 || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) return null;
  return name;
}
