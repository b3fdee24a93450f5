import { NativeSelect } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client.js';
import { keys } from '../api/keys.js';
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
      if (data) queryClient.setQueryData(keys.me, data);
    }
  }
  // A native select: the phone's own picker, and no popover code in the first download.
  return (
    <NativeSelect
      aria-label={t('app.language')}
      data-testid="language-switch"
      size="xs"
      w={{ base: 96, sm: 120 }}
      value={i18n.language}
      data={LOCALE_CODES.map((code) => ({ value: code, label: t(`languages.${code}`) }))}
      onChange={(e) => void change(e.currentTarget.value as WebLocale)}
    />
  );
}
