import type { AnyConfigSection } from './config-section';
import type { ConfigVariable } from './config-variable';

/**
 * README's configuration table and `.env.example`, generated from the sections' declarations
 * (`npm run config:docs` writes them; a unit test fails when they are stale).
 */

export const CONFIG_TABLE_BEGIN =
  '<!-- config:begin: generated from the config sections by `npm run config:docs` -->';
export const CONFIG_TABLE_END = '<!-- config:end -->';

function rows(
  sections: readonly AnyConfigSection[],
): { readonly name: string; readonly variable: ConfigVariable<unknown> }[] {
  return sections.flatMap((section) =>
    Object.entries(section.variables).map(([name, variable]) => {
      for (const part of [variable.doc, variable.defaultDoc]) {
        if (part.includes('|') || part.includes('\n')) {
          throw new Error(`${name}: a doc line is one line without "|" (it is a table cell)`);
        }
      }
      return { name, variable };
    }),
  );
}

/** A Markdown table laid out as Prettier lays it out (so `format:check` agrees). */
function markdownTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(3, title.length, ...body.map((cells) => (cells[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function renderConfigTable(sections: readonly AnyConfigSection[]): string {
  return markdownTable(
    ['variable', 'default', 'meaning'],
    rows(sections).map(({ name, variable }) => [`\`${name}\``, variable.defaultDoc, variable.doc]),
  );
}

/** Markdown to the plain text of a comment. */
const plain = (markdown: string): string => markdown.replaceAll('`', '').replaceAll('**', '');

const ENV_EXAMPLE_HEADER = `# Copy to .env (real environment variables win over this file). Every variable is
# optional outside production; the service refuses to start with one message naming
# every invalid variable. Defaults are shown.
# Generated from the config sections by \`npm run config:docs\`: edit the declarations.`;

export function renderEnvExample(sections: readonly AnyConfigSection[]): string {
  const blocks = sections.map((section) => {
    const lines = Object.entries(section.variables).map(([name, variable]) => {
      const assignment = `# ${name}=${variable.exampleValue}`;
      const shownLiteral = `\`${variable.exampleValue}\``;
      const note =
        variable.defaultDoc === shownLiteral ||
        (variable.defaultDoc === 'unset' && variable.exampleValue === '')
          ? ''
          : ` (default: ${plain(variable.defaultDoc)})`;
      return `${assignment.padEnd(33)} # ${plain(variable.doc)}${note}`;
    });
    return [`# --- ${section.title} `.padEnd(80, '-'), ...lines].join('\n');
  });
  return `${[ENV_EXAMPLE_HEADER, ...blocks].join('\n\n')}\n`;
}

/** `readme` with the text between the table markers replaced by the generated table. */
export function withConfigTable(readme: string, sections: readonly AnyConfigSection[]): string {
  const begin = readme.indexOf(CONFIG_TABLE_BEGIN);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (begin === -1 || end < begin) {
    throw new Error(`README.md lacks the markers ${CONFIG_TABLE_BEGIN} … ${CONFIG_TABLE_END}`);
  }
  const table = renderConfigTable(sections);
  return `${readme.slice(0, begin + CONFIG_TABLE_BEGIN.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
