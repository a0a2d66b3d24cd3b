import { defineConfigSection } from './config-section';
import { bool, int, oneOf, text } from './config-variable';
import { allConfigSections, loadConfig, type LoadConfigOptions } from './load-config';

const runtime = { nodeEnv: 'development', isProduction: false } as const;

class DemoConfig extends defineConfigSection({
  title: 'Demo',
  variables: {
    DEMO_COUNT: int({ default: 3, min: 1, max: 9, doc: 'how many' }),
    DEMO_ON: bool({ default: false, doc: 'whether' }),
    DEMO_MODE: oneOf(['a', 'b'], { doc: 'which' }),
    DEMO_KEY: text({ minLength: 4, secret: true, doc: 'a key' }),
  },
  build: (v) => ({ count: v.DEMO_COUNT, on: v.DEMO_ON, mode: v.DEMO_MODE ?? 'a', key: v.DEMO_KEY }),
  check: ({ on, key }) => (on && key === undefined ? ['DEMO_ON=true: needs DEMO_KEY'] : []),
}) {}

const options = (sections: LoadConfigOptions['sections']): LoadConfigOptions => ({
  sections,
});

describe('defineConfigSection', () => {
  it('reads defaults, treats an empty variable as unset, and parses each kind', () => {
    expect(DemoConfig.read({ DEMO_COUNT: ' ', DEMO_MODE: '' }, runtime)).toEqual({
      ok: true,
      value: { count: 3, on: false, mode: 'a', key: undefined },
    });
    expect(
      DemoConfig.read(
        { DEMO_COUNT: ' 7 ', DEMO_ON: 'TRUE', DEMO_MODE: 'b', DEMO_KEY: 'abcd' },
        runtime,
      ),
    ).toEqual({ ok: true, value: { count: 7, on: true, mode: 'b', key: 'abcd' } });
  });

  it('reports every bad variable of the section, never echoing a secret, and skips its rules', () => {
    expect(
      DemoConfig.read(
        { DEMO_COUNT: '10', DEMO_ON: 'yes', DEMO_MODE: 'c', DEMO_KEY: 'abc' },
        runtime,
      ),
    ).toEqual({
      ok: false,
      problems: [
        'DEMO_COUNT=10: DEMO_COUNT must not be greater than 9',
        'DEMO_ON="yes": DEMO_ON must be a boolean value',
        'DEMO_MODE="c": DEMO_MODE must be one of the following values: a, b',
        'DEMO_KEY=(3 characters, not shown): DEMO_KEY must be longer than or equal to 4 characters',
      ],
    });
  });

  it("runs the section's rules once its variables are valid", () => {
    expect(DemoConfig.read({ DEMO_ON: '1' }, runtime)).toEqual({
      ok: false,
      problems: ['DEMO_ON=true: needs DEMO_KEY'],
    });
  });

  it('is provided by its class, with the value the loader built', () => {
    const config = loadConfig({ DEMO_COUNT: '5' }, options([DemoConfig]));
    expect(config.sections.get(DemoConfig).count).toBe(5);
    expect(config.sections.providers()).toEqual([
      { provide: DemoConfig, useValue: config.sections.get(DemoConfig) },
    ]);
  });

  it('refuses a variable declared by two sections', () => {
    class Twice extends defineConfigSection({
      title: 'Twice',
      variables: { PORT: int({ default: 1, doc: 'again' }) },
      build: (v) => ({ port: v.PORT }),
    }) {}
    expect(() => allConfigSections({ sections: [Twice] })).toThrow(
      'PORT is declared twice, by "HTTP" and "Twice"',
    );
  });
});
