'use strict';
// `nest g -c ./schematics domain-module invoices` (or `npm run g:module -- invoices`).
// Plain CommonJS on purpose: the collection runs straight from the repo, no build step.
const { createHash } = require('node:crypto');
const { strings } = require('@angular-devkit/core');
const {
  SchematicsException,
  applyTemplates,
  chain,
  mergeWith,
  move,
  url,
  apply,
} = require('@angular-devkit/schematics');
const { ModuleDeclarator } = require('@nestjs/schematics/dist/utils/module.declarator');

const APP_MODULE = 'src/app.module.ts';

/** TypeORM's default primary-key constraint name, so the migration matches the entity exactly. */
function primaryKeyName(table) {
  return 'PK_' + createHash('sha1').update(`${table}_id`).digest('hex').slice(0, 27);
}

function names(options) {
  const name = strings.dasherize(options.name);
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new SchematicsException(
      `"${options.name}" is not a valid module name (kebab-case letters and digits)`,
    );
  }
  const singular = strings.dasherize(options.singular || name.replace(/s$/, ''));
  if (singular === name) {
    throw new SchematicsException(
      `Give the singular form with --singular (name "${name}" does not end in s)`,
    );
  }
  const table = strings.underscore(name);
  return {
    ...strings,
    name,
    singular,
    table,
    code: strings.underscore(singular).toUpperCase(),
    pkName: primaryKeyName(table),
    timestamp: String(Date.now()),
  };
}

function declareInAppModule(values) {
  return (tree) => {
    const content = tree.read(APP_MODULE);
    if (content === null) {
      throw new SchematicsException(`${APP_MODULE} not found: run from the project root`);
    }
    const declared = new ModuleDeclarator().declare(content.toString(), {
      name: values.name,
      path: `/src/modules/${values.name}`,
      module: `/${APP_MODULE}`,
      metadata: 'imports',
      type: 'module',
    });
    tree.overwrite(APP_MODULE, declared);
    return tree;
  };
}

exports.domainModule = (options) => {
  const values = names(options);
  return chain([
    mergeWith(apply(url('./files'), [applyTemplates(values), move('/')])),
    declareInAppModule(values),
  ]);
};
