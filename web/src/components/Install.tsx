import { Alert, Button, CopyButton, Group, Image, List, Stack, Tabs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { wrappingButton } from './wrapping-button.js';

export type Platform = 'ios' | 'android' | 'other';

/** The phone this page is open on, from its user agent (iPadOS counts as iOS). */
export function detectPlatform(ua = navigator.userAgent): Platform {
  if (/iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1)) return 'ios';
  if (/Android/.test(ua)) return 'android';
  return 'other';
}

/** `LPA:1$<SM-DP+ address>$<matching id>` split into the parts a phone asks for when typed by hand. */
export function parseLpa(code: string): { smdp: string; matchingId: string } | null {
  const m = /^LPA:1\$([^$]+)\$([^$]*)/.exec(code);
  return m ? { smdp: m[1] ?? '', matchingId: m[2] ?? '' } : null;
}

/**
 * The platforms' own one-tap install links (iOS 17.4+, Android): the LPA string goes in `carddata`
 * as written in a QR code (`:` and `$` kept, anything else percent-encoded).
 */
export function oneTapLink(platform: Platform, code: string): string | null {
  if (platform === 'other') return null;
  const host = platform === 'ios' ? 'esimsetup.apple.com' : 'esimsetup.android.com';
  const carddata = encodeURIComponent(code).replaceAll('%24', '$').replaceAll('%3A', ':');
  return `https://${host}/esim_qrcode_provisioning?carddata=${carddata}`;
}

function Copy({ value, label, testId }: { value: string; label: string; testId: string }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value}>
      {({ copied, copy }) => (
        <Button
          variant={copied ? 'filled' : 'light'}
          color={copied ? 'green' : undefined}
          size="compact-sm"
          styles={wrappingButton}
          onClick={copy}
          data-testid={testId}
          aria-label={`${label}: ${t('install.copy')}`}
        >
          {copied ? t('install.copied') : label}
        </Button>
      )}
    </CopyButton>
  );
}

/** Everything to install an eSIM profile: one tap on a phone, a QR for another screen, the codes to copy, the steps. */
export function InstallGuide({ esimId, code }: { esimId: string; code: string }) {
  const { t } = useTranslation();
  const platform = detectPlatform();
  const link = oneTapLink(platform, code);
  const parts = parseLpa(code);
  const qr = (
    <Image
      src={`/api/v1/me/esims/${esimId}/qr.svg`}
      alt={t('lines.qrAlt')}
      w={200}
      h={200}
      data-testid="esim-qr"
    />
  );
  return (
    <Stack gap="sm">
      <Alert color="blue" variant="light" title={t('install.beforeTitle')} data-testid="before-you-travel">
        {t('install.before')}
      </Alert>
      {link && (
        <Button
          component="a"
          href={link}
          size="lg"
          fullWidth
          styles={wrappingButton}
          data-testid="one-tap-install"
        >
          {platform === 'ios' ? t('install.oneTapIos') : t('install.oneTapAndroid')}
        </Button>
      )}
      {link ? (
        <details>
          <summary style={{ cursor: 'pointer' }}>
            <Text span size="sm">
              {t('install.otherScreen')}
            </Text>
          </summary>
          <Stack gap="xs" mt="xs">
            {qr}
          </Stack>
        </details>
      ) : (
        <>
          <Text size="sm">{t('install.scan')}</Text>
          {qr}
        </>
      )}
      <Text size="sm" c="dimmed">
        {t('install.byHand')}
      </Text>
      <Text
        size="xs"
        ff="monospace"
        p="xs"
        bg="gray.0"
        style={{ borderRadius: 6, wordBreak: 'break-all' }}
        data-testid="activation-code"
      >
        {code}
      </Text>
      <Group gap="xs">
        <Copy value={code} label={t('install.copyCode')} testId="copy-code" />
        {parts && <Copy value={parts.smdp} label={t('install.copySmdp')} testId="copy-smdp" />}
        {parts?.matchingId && (
          <Copy value={parts.matchingId} label={t('install.copyMatchingId')} testId="copy-matching-id" />
        )}
      </Group>
      {parts && (
        // Labels stay whole words; only the long values may break, and only where they must.
        <Text size="xs" c="dimmed" data-testid="install-parts">
          <span style={{ whiteSpace: 'nowrap' }}>{t('install.smdp')}:</span>{' '}
          <span style={{ overflowWrap: 'anywhere' }}>{parts.smdp}</span>
          {parts.matchingId && (
            <>
              {' · '}
              <span style={{ whiteSpace: 'nowrap' }}>{t('install.matchingId')}:</span>{' '}
              <span style={{ overflowWrap: 'anywhere' }} data-testid="matching-id">
                {parts.matchingId}
              </span>
            </>
          )}
        </Text>
      )}
      <Tabs defaultValue={platform === 'android' ? 'android' : 'ios'}>
        <Tabs.List>
          <Tabs.Tab value="ios">iPhone</Tabs.Tab>
          <Tabs.Tab value="android">Android</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="ios" pt="xs">
          <List size="sm" type="ordered" spacing={4} data-testid="steps-ios">
            {/* "or tap the install button above" only where that button is shown, on the phone it is for. */}
            {[link && platform === 'ios' ? 'ios1Tap' : 'ios1', 'ios2', 'ios3', 'ios4', 'ios5'].map((k) => (
              <List.Item key={k}>{t(`install.${k}`)}</List.Item>
            ))}
          </List>
        </Tabs.Panel>
        <Tabs.Panel value="android" pt="xs">
          <List size="sm" type="ordered" spacing={4} data-testid="steps-android">
            {[
              link && platform === 'android' ? 'android1Tap' : 'android1',
              'android2',
              'android3',
              'android4',
              'android5',
            ].map((k) => (
              <List.Item key={k}>{t(`install.${k}`)}</List.Item>
            ))}
          </List>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
