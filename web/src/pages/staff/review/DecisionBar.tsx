import { Alert, Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client.js';
import { useApiMutation } from '../../../api/mutation.js';
import { staffKeys } from '../keys.js';
import type { ReviewItem } from './queue.js';

type Decision = 'approve' | 'request_info' | 'reject';

/**
 * The reviewer's note and decision. Approving and rejecting ask to confirm first; asking for
 * information and rejecting need a note, which the subscriber reads.
 */
export function DecisionBar({ item }: { item: ReviewItem }) {
  const { t } = useTranslation();
  const form = useForm({ initialValues: { note: '' } });
  const [confirming, setConfirming] = useState<'approve' | 'reject' | null>(null);
  const decide = useApiMutation(
    (decision: Decision) =>
      unwrap(
        api.POST('/api/v1/staff/cancellations/{id}/decision', {
          params: { path: { id: item.id } },
          body: { decision, note: form.values.note, version: item.version },
        }),
      ),
    {
      invalidates: [staffKeys.cancellations.queue, staffKeys.cancellations.decided],
      onSuccess: () => setConfirming(null),
      form,
      onError: () => setConfirming(null),
    },
  );
  const note = form.values.note;
  const inReview = item.status === 'in_review';
  const who = item.customer.contact ?? item.accountId;
  return (
    <Stack gap="xs">
      <Textarea
        size="xs"
        label={t('review.noteLabel')}
        placeholder={t('review.note')}
        {...form.getInputProps('note')}
        data-testid="review-note"
      />
      <Group gap="xs">
        <Button
          size="compact-sm"
          color="teal.9"
          disabled={!inReview}
          onClick={() => setConfirming('approve')}
          data-testid="review-approve"
        >
          {t('review.approve')}
        </Button>
        <Button
          size="compact-sm"
          variant="light"
          disabled={!inReview || !note.trim()}
          loading={decide.isPending && decide.variables === 'request_info'}
          onClick={() => decide.mutate('request_info')}
          data-testid="review-info"
        >
          {t('review.requestInfo')}
        </Button>
        <Button
          size="compact-sm"
          color="red"
          variant="light"
          disabled={!inReview || !note.trim()}
          onClick={() => setConfirming('reject')}
          data-testid="review-reject"
        >
          {t('review.reject')}
        </Button>
      </Group>
      {decide.errorMessage && <Alert color="red">{decide.errorMessage}</Alert>}
      <Modal
        opened={confirming !== null}
        onClose={() => setConfirming(null)}
        centered
        title={confirming === 'reject' ? t('review.confirmRejectTitle') : t('review.confirmApproveTitle')}
        styles={{ title: { fontWeight: 700 } }}
      >
        <Stack gap="sm" data-testid="review-confirm">
          <Text size="sm">
            {confirming === 'reject'
              ? t('review.confirmReject', { who })
              : t('review.confirmApprove', { who, count: item.customer.lines.length })}
          </Text>
          {note.trim() && (
            <Text size="sm" c="dimmed">
              {t('review.confirmNote', { note: note.trim() })}
            </Text>
          )}
          {confirming === 'approve' && !item.checksNow.eligible && (
            <Alert color="orange" variant="light">
              {t('review.confirmBlocked')}
            </Alert>
          )}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={() => setConfirming(null)} data-testid="review-confirm-cancel">
              {t('review.cancel')}
            </Button>
            <Button
              color={confirming === 'reject' ? 'red' : 'teal.8'}
              loading={decide.isPending}
              onClick={() => confirming && decide.mutate(confirming)}
              data-testid="review-confirm-yes"
            >
              {confirming === 'reject' ? t('review.rejectYes') : t('review.approveYes')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
