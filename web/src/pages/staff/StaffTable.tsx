import { Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * The console's list table: scrolls sideways on a narrow screen, one heading a column (null for a
 * column of buttons), and the "nothing here" line once the list has loaded empty.
 */
export function StaffTable({
  heads,
  minWidth,
  testId,
  highlightOnHover,
  empty,
  children,
}: {
  heads: readonly (string | null)[];
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
              {heads.map((head, i) => (
                <Table.Th key={head ?? `blank-${i}`}>{head}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>{children}</Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {empty && <Text c="dimmed">{empty}</Text>}
    </>
  );
}
