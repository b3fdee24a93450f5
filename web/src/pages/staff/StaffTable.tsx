import { Button, Group, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** A column's heading: its words, `{ right }` over a column of figures, or null over a column of buttons. */
type Head = string | { right: string } | null;

/**
 * The console's list table: scrolls sideways on a narrow screen, one heading a column, and the
 * "nothing here" line once the list has loaded empty.
 */
export function StaffTable({
  heads,
  minWidth,
  testId,
  highlightOnHover,
  empty,
  children,
}: {
  heads: readonly Head[];
  minWidth: number;
  testId?: string;
  highlightOnHover?: boolean;
  /** Said under the table when the list has loaded and is empty; false while there are rows or none yet. */
  empty?: string | false;
  children: ReactNode;
}) {
  return (
    <>
      <Table.ScrollContainer minWidth={minWidth}>
        <Table striped highlightOnHover={highlightOnHover} data-testid={testId}>
          <Table.Thead>
            <Table.Tr>
              {heads.map((head, i) =>
                typeof head === 'object' && head !== null ? (
                  <Table.Th key={head.right} ta="right">
                    {head.right}
                  </Table.Th>
                ) : (
                  <Table.Th key={head ?? `blank-${i}`}>{head}</Table.Th>
                ),
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>{children}</Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {empty && <Text c="dimmed">{empty}</Text>}
    </>
  );
}

interface RowAction {
  label: string;
  onClick: () => void;
  loading?: boolean;
  testId?: string;
}

/** A row's buttons: the one that goes ahead (retry, approve) and the red one that stops it (cancel, reject). */
export function RowActions({ go, stop }: { go?: RowAction | false; stop?: RowAction | false }) {
  return (
    <Group gap={4} wrap="nowrap">
      {go && (
        <Button size="compact-xs" loading={go.loading} onClick={go.onClick} data-testid={go.testId}>
          {go.label}
        </Button>
      )}
      {stop && (
        <Button
          size="compact-xs"
          variant="subtle"
          color="red"
          onClick={stop.onClick}
          data-testid={stop.testId}
        >
          {stop.label}
        </Button>
      )}
    </Group>
  );
}
