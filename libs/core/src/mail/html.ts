const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML: safe between tags and inside quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * A template for mail HTML whose every interpolation is escaped:
 * html`<p>Hello ${name}</p><a href="${link}">Verify</a>`. The result is a plain string, so a
 * piece built by one `html` and interpolated into another is escaped twice: build a mail's
 * HTML in one template.
 */
export function html(
  strings: TemplateStringsArray,
  ...values: readonly (string | number)[]
): string {
  return strings.reduce((out, part, i) => out + escapeHtml(String(values[i - 1] ?? '')) + part);
}
