import { Center, Loader } from '@mantine/core';
import type { ReactElement } from 'react';
import { Navigate, useLocation } from 'react-router';
import { isStaff, type Me, useMe } from '../api/session.js';

/** Renders `render(me)` for a signed-in account of the right kind; otherwise sends the visitor to sign in and back here. */
export function RequireAccount({ staff, render }: { staff: boolean; render: (me: Me) => ReactElement }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return (
      <Center py="xl">
        <Loader />
      </Center>
    );
  }
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }
  if (staff !== isStaff(me.data.role))
    return <Navigate to={isStaff(me.data.role) ? '/staff' : '/'} replace />;
  return render(me.data);
}
