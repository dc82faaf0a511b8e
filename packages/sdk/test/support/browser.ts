/**
 * A minimal user agent for driving the authorization-code flow through oidc-provider's real endpoints:
 * follows redirects by hand, keeps cookies, and stops where the test says.
 */
export async function browse(
  start: string,
  options: { stopAt?: (url: string) => boolean; maxHops?: number } = {},
): Promise<string> {
  const cookies = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < (options.maxHops ?? 20); hop++) {
    if (options.stopAt?.(url)) return url;
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      cookies.set(pair!.slice(0, index).trim(), pair!.slice(index + 1).trim());
    }
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).href;
      continue;
    }
    return url;
  }
  throw new Error('too many redirects');
}
