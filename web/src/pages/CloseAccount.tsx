import { Anchor, Breadcrumbs, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.js';
import { keys } from '../api/keys.js';
import { formErrorsOf, useApiMutation } from '../api/mutation.js';
import { useMe } from '../api/session.js';
import { useCancellation } from '../api/subscriber.js';
import { ApplyForm, CLOSE_FIELDS, closeRequestBody, useCloseForm } from './close-account/ApplyForm.js';
import { Checklist } from './close-account/Checklist.js';
import { FinalConfirmation } from './close-account/FinalConfirmation.js';
import { ForfeitReceipt, ForfeitStep, type Receipt } from './close-account/Forfeit.js';
import { OPEN, RequestStatus } from './close-account/RequestStatus.js';

/** 我的账户 → 注销账户 (R8): preflight checklist, reason, a plain final confirmation, then the request. */
export function CloseAccount() {
  const [params] = useSearchParams();
  if (params.get('step') === 'forfeit') return <ForfeitStep />;
  return <Apply />;
}

function Apply() {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  const receipt = (location.state as { forfeit?: Receipt } | null)?.forfeit;
  const eligibility = useQuery({
    queryKey: keys.cancellation.eligibility,
    enabled: !!me.data && me.data.status !== 'deregistered',
    queryFn: () => unwrap(api.GET('/api/v1/me/cancellation/eligibility')),
  });
  const latest = useCancellation(true);
  const form = useCloseForm();
  const [confirming, setConfirming] = useState(false);
  const submit = useApiMutation(
    () => unwrap(api.POST('/api/v1/me/cancellation', { body: closeRequestBody(form.getValues()) })),
    {
      invalidates: 'all',
      onSuccess: () => setConfirming(false),
      // Also under the field, seen once the confirmation is closed; the confirmation's alert says it meanwhile.
      onError: (e) => form.setErrors(formErrorsOf(e, CLOSE_FIELDS)),
    },
  );
  const request = latest.data;
  // Once the account is closed there is nothing left to apply for: the timeline stays, the form goes.
  const closed = me.data?.status === 'deregistered' || request?.status === 'completed';
  const open = (request && OPEN.includes(request.status)) || closed;
  const blockers = eligibility.data?.blockers ?? [];
  return (
    <Stack gap="lg" py="md">
      {/* Named as the navigation names it, and the account page one click back. */}
      <Breadcrumbs
        component="nav"
        aria-label={t('close.breadcrumbLabel')}
        separator="→"
        data-testid="close-breadcrumb"
      >
        <Anchor component={Link} to="/account" size="sm">
          {t('nav.account')}
        </Anchor>
        <Text size="sm" c="dimmed" aria-current="page">
          {t('nav.close')}
        </Text>
      </Breadcrumbs>
      <Title order={2}>{t('close.title')}</Title>
      {receipt && <ForfeitReceipt receipt={receipt} />}
      {request && <RequestStatus request={request} />}
      {!open && (
        <>
          <Checklist blockers={blockers} eligible={!!eligibility.data} />
          <ApplyForm form={form} blocked={blockers.length > 0} onStart={() => setConfirming(true)} />
        </>
      )}
      <FinalConfirmation
        opened={confirming}
        onClose={() => setConfirming(false)}
        onConfirm={() => submit.mutate()}
        pending={submit.isPending}
        error={submit.errorMessage}
      />
    </Stack>
  );
}
