import { Select } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { LOCALE_CODES, setLocale, type WebLocale } from '../i18n.js';

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <Select
      aria-label={t('app.language')}
      data-testid="language-switch"
      size="xs"
      w={120}
      allowDeselect={false}
      value={i18n.language}
      data={LOCALE_CODES.map((code) => ({ value: code, label: t(`languages.${code}`) }))}
      onChange={(value) => value && setLocale(value as WebLocale)}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
