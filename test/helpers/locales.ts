/** Flattens a nested message object into dotted keys. */
export function flatten(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof value === 'string') out.set(prefix, value);
  else
    for (const [k, v] of Object.entries(value as object)) {
      for (const [key, text] of flatten(v, prefix ? `${prefix}.${k}` : k)) out.set(key, text);
    }
  return out;
}

export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? '').sort();
}

/** Every language has every key of every other, non-empty, with the same {{placeholders}}. */
export function localeProblems(locales: Record<string, unknown>): string[] {
  const flat = Object.entries(locales).map(([locale, messages]) => ({ locale, entries: flatten(messages) }));
  const allKeys = new Set(flat.flatMap((l) => [...l.entries.keys()]));
  const problems: string[] = [];
  for (const key of allKeys) {
    const texts = flat.map((l) => ({ locale: l.locale, text: l.entries.get(key) }));
    for (const { locale, text } of texts) if (!text) problems.push(`${locale}: missing ${key}`);
    const shapes = new Set(texts.filter((t) => t.text).map((t) => placeholders(t.text!).join(',')));
    if (shapes.size > 1) problems.push(`${key}: placeholders differ between languages`);
  }
  return problems;
}
