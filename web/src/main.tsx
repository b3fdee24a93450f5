import '@mantine/core/styles.css';
import { Badge, type CSSVariablesResolver, createTheme, darken, MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { Layout } from './components/Layout.js';
import './i18n.js';
import { RequireAccount } from './components/RequireAccount.js';
import { Account } from './pages/Account.js';
import { Backup } from './pages/Backup.js';
import { CloseAccount } from './pages/CloseAccount.js';
import { Devices } from './pages/Devices.js';
import { DevMailbox } from './pages/DevMailbox.js';
import { Help, HelpThread } from './pages/Help.js';
import { Home } from './pages/Home.js';
import { LineDetail, LinesList } from './pages/Lines.js';
import { NotFound, PageError } from './pages/NotFound.js';
import { Plans } from './pages/Plans.js';
import { ReviewQueue } from './pages/ReviewQueue.js';
import { SignIn } from './pages/SignIn.js';
import { AuditPage, JobsPage, MembersPage, PoliciesPage } from './pages/staff/Admin.js';
import { Dashboard, StaffConsole } from './pages/staff/Console.js';
import { Customer360, CustomerSearch } from './pages/staff/Customers.js';
import { HeldUsagePage } from './pages/staff/HeldUsage.js';
import { TicketDetail, TicketQueue } from './pages/staff/Tickets.js';
import { Usage } from './pages/Usage.js';
import { Wallet } from './pages/Wallet.js';

// Contrast: filled colours at shade 9 and text on light tints a shade darker still, so every label
// meets WCAG AA (4.5:1) on its background; the accessibility test holds every page to it.
const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 9,
  // Status badges on a light tint with dark text: filled green or orange cannot carry white text at AA.
  components: { Badge: Badge.extend({ defaultProps: { variant: 'light' } }) },
  defaultRadius: 'md',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
});

const strongText: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    ...Object.fromEntries(
      Object.keys(t.colors).flatMap((c) => {
        const strong = darken(t.colors[c]![9], 0.25);
        return [
          [`--mantine-color-${c}-light-color`, strong],
          [`--mantine-color-${c}-outline`, strong],
        ];
      }),
    ),
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-anchor': 'var(--mantine-color-blue-9)',
  },
  dark: {},
});

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } },
});

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    children: [
      {
        errorElement: <PageError />,
        children: [
          { index: true, element: <Home /> },
          { path: 'sign-in', element: <SignIn /> },
          { path: 'plans', element: <Plans /> },
          { path: 'account', element: <RequireAccount staff={false} render={(me) => <Account me={me} />} /> },
          { path: 'wallet', element: <RequireAccount staff={false} render={() => <Wallet />} /> },
          { path: 'lines', element: <RequireAccount staff={false} render={() => <LinesList />} /> },
          { path: 'lines/:id', element: <RequireAccount staff={false} render={() => <LineDetail />} /> },
          { path: 'devices', element: <RequireAccount staff={false} render={() => <Devices />} /> },
          { path: 'usage', element: <RequireAccount staff={false} render={() => <Usage />} /> },
          { path: 'backup', element: <RequireAccount staff={false} render={() => <Backup />} /> },
          {
            path: 'account/close',
            element: <RequireAccount staff={false} render={() => <CloseAccount />} />,
          },
          { path: 'help', element: <RequireAccount staff={false} render={() => <Help />} /> },
          { path: 'help/:id', element: <RequireAccount staff={false} render={() => <HelpThread />} /> },
          {
            path: 'staff',
            element: <RequireAccount staff render={(me) => <StaffConsole me={me} />} />,
            children: [
              { index: true, element: <Dashboard /> },
              { path: 'tickets', element: <TicketQueue /> },
              {
                path: 'tickets/:id',
                element: <RequireAccount staff render={(me) => <TicketDetail myId={me.id} />} />,
              },
              { path: 'customers', element: <CustomerSearch /> },
              {
                path: 'customers/:id',
                element: <RequireAccount staff render={(me) => <Customer360 role={me.role} />} />,
              },
              { path: 'cancellations', element: <ReviewQueue /> },
              {
                path: 'policies',
                element: <RequireAccount staff render={(me) => <PoliciesPage role={me.role} />} />,
              },
              {
                path: 'members',
                element: <RequireAccount staff render={(me) => <MembersPage myId={me.id} />} />,
              },
              { path: 'usage-holds', element: <HeldUsagePage /> },
              { path: 'jobs', element: <JobsPage /> },
              { path: 'audit', element: <AuditPage /> },
            ],
          },
          { path: 'dev/mailbox', element: <DevMailbox /> },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={strongText}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
