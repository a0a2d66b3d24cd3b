/** A path segment that would climb out of the base URL's own path. */
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Whether `path` stays under whatever base it is put on: no `.` or `..` segment, no `\`, no
 * scheme. `buildLink` refuses any other; a setting that names a link's path checks it at
 * start-up with this.
 */
export function isLinkPath(path: string): boolean {
  return !DOT_SEGMENT.test(path) && !path.includes('\\') && !SCHEME.test(path);
}

/**
 * `base` + `/path` + `?query`, the base's own path kept as a prefix:
 * buildLink('https://shop.example.com/app', '/verify-email', { token }) gives
 * https://shop.example.com/app/verify-email?token=…. `path` is the app's own (a constant or a
 * setting), never a user's; one that could leave the prefix (`..`, `\`, a scheme) throws.
 */
export function buildLink(
  base: string,
  path: string,
  query: Readonly<Record<string, string>> = {},
): string {
  if (!isLinkPath(path)) {
    throw new Error(`${JSON.stringify(path)} is not a path under ${base}`);
  }
  const url = new URL(base);
  const relative = path.replace(/^\/+/, '');
  if (relative !== '') {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${relative}`;
  }
  for (const [name, value] of Object.entries(query)) {
    url.searchParams.append(name, value);
  }
  return url.toString();
}
