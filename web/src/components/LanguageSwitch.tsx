import { Select } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client.js';
import { useMe } from '../api/session.js';
import { LOCALE_CODES, setLocale, type WebLocale } from '../i18n.js';

/** Changes the page language and, when signed in, the account's (emails and SMS follow it). */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const queryClient = useQueryClient();
  async function change(locale: WebLocale) {
    setLocale(locale);
    if (me.data) {
      const { data } = await api.PATCH('/api/v1/me', { body: { locale } });
      if (data) queryClient.setQueryData(['me'], data);
    }
  }
  return (
    <Select
      aria-label={t('app.language')}
      data-testid="language-switch"
      size="xs"
      w={{ base: 96, sm: 120 }}
      allowDeselect={false}
      value={i18n.language}
      data={LOCALE_CODES.map((code) => ({ value: code, label: t(`languages.${code}`) }))}
      onChange={(value) => value && void change(value as WebLocale)}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
