import { escapeHtml, html } from './html';

describe('escapeHtml', () => {
  it('escapes what could open a tag, an entity or leave a quoted attribute', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });

  it('leaves plain text as it is', () => {
    expect(escapeHtml('Hello Ada, 3 items')).toBe('Hello Ada, 3 items');
  });
});

describe('html', () => {
  it('escapes every interpolation and none of the template', () => {
    const name = '<b>Eve</b>';
    const link = 'https://shop.example.com/verify-email?token=a&b="c"';
    // prettier-ignore
    const built = html`<p>Hello ${name},</p><a href="${link}">Verify</a> (${3})`;
    expect(built).toBe(
      '<p>Hello &lt;b&gt;Eve&lt;/b&gt;,</p>' +
        '<a href="https://shop.example.com/verify-email?token=a&amp;b=&quot;c&quot;">Verify</a> (3)',
    );
  });

  it('is the template itself without interpolations', () => {
    expect(html`<p>Hi</p>`).toBe('<p>Hi</p>');
  });
});
