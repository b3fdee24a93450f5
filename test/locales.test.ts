import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_LOCALES } from '../src/core/i18n.js';
import { localeProblems } from './helpers/locales.js';

const webLocale = (name: string) =>
  JSON.parse(fs.readFileSync(new URL(`../web/src/locales/${name}.json`, import.meta.url), 'utf8'));

describe('languages', () => {
  it('the server has every message in every language', () => {
    expect(localeProblems(SERVER_LOCALES)).toEqual([]);
  });

  it('the web app has every message in every language', () => {
    const files = fs
      .readdirSync(new URL('../web/src/locales/', import.meta.url))
      .map((f) => f.replace(/\.json$/, ''));
    expect(files.sort()).toEqual(Object.keys(SERVER_LOCALES).sort());
    expect(localeProblems(Object.fromEntries(files.map((f) => [f, webLocale(f)])))).toEqual([]);
  });

  it('the check notices a missing key', () => {
    expect(localeProblems({ en: { a: 'x', b: 'y {{n}}' }, fr: { a: 'x', b: 'y' } })).toEqual([
      'b: placeholders differ between languages',
    ]);
    expect(localeProblems({ en: { a: 'x' }, fr: {} })).toEqual(['fr: missing a']);
  });
});
