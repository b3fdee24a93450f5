import '@mantine/core/styles.css';
import {
  Badge,
  Center,
  type CSSVariablesResolver,
  createTheme,
  darken,
  Loader,
  MantineProvider,
  Table,
} from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ComponentType, type JSX, lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { Layout } from './components/Layout.js';
import { RequireAccount } from './components/RequireAccount.js';
import './i18n.js';
import { Home } from './pages/Home.js';
import { NotFound, PageError } from './pages/NotFound.js';
import { Plans } from './pages/Plans.js';

/**
 * Route-level code splitting: the shell, the home and the plans (where visitors land) load first; every other page is its own
 * chunk, fetched when visited. The staff console is one chunk that subscribers never download.
 */
function page<M, P extends object>(load: () => Promise<M>, pick: (m: M) => ComponentType<P>) {
  const Lazy = lazy(() => load().then((m) => ({ default: pick(m) })));
  return (props: P) => (
    <Suspense
      fallback={
        <Center py="xl">
          <Loader />
        </Center>
      }
    >
      <Lazy {...(props as P & JSX.IntrinsicAttributes)} />
    </Suspense>
  );
}

const subscriber = {
  account: () => import('./pages/Account.js'),
  backup: () => import('./pages/Backup.js'),
  close: () => import('./pages/CloseAccount.js'),
  devices: () => import('./pages/Devices.js'),
  mailbox: () => import('./pages/DevMailbox.js'),
  help: () => import('./pages/Help.js'),
  lines: () => import('./pages/Lines.js'),
  signIn: () => import('./pages/SignIn.js'),
  usage: () => import('./pages/Usage.js'),
  wallet: () => import('./pages/Wallet.js'),
};
const staff = () => import('./pages/staff/index.js');

const Account = page(subscriber.account, (m) => m.Account);
const Backup = page(subscriber.backup, (m) => m.Backup);
const CloseAccount = page(subscriber.close, (m) => m.CloseAccount);
const Devices = page(subscriber.devices, (m) => m.Devices);
const DevMailbox = page(subscriber.mailbox, (m) => m.DevMailbox);
const Help = page(subscriber.help, (m) => m.Help);
const HelpThread = page(subscriber.help, (m) => m.HelpThread);
const LineDetail = page(subscriber.lines, (m) => m.LineDetail);
const LinesList = page(subscriber.lines, (m) => m.LinesList);
const SignIn = page(subscriber.signIn, (m) => m.SignIn);
const Usage = page(subscriber.usage, (m) => m.Usage);
const Wallet = page(subscriber.wallet, (m) => m.Wallet);
const AuditPage = page(staff, (m) => m.AuditPage);
const JobsPage = page(staff, (m) => m.JobsPage);
const MembersPage = page(staff, (m) => m.MembersPage);
const PoliciesPage = page(staff, (m) => m.PoliciesPage);
const Dashboard = page(staff, (m) => m.Dashboard);
const StaffConsole = page(staff, (m) => m.StaffConsole);
const Customer360 = page(staff, (m) => m.Customer360);
const CustomerSearch = page(staff, (m) => m.CustomerSearch);
const HeldUsagePage = page(staff, (m) => m.HeldUsagePage);
const TicketDetail = page(staff, (m) => m.TicketDetail);
const TicketQueue = page(staff, (m) => m.TicketQueue);
const ReviewQueue = page(staff, (m) => m.ReviewQueue);

// Contrast: filled colours at shade 9 and text on light tints a shade darker still, so every label
// meets WCAG AA (4.5:1) on its background; the accessibility test holds every page to it.
const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 9,
  // Status badges on a light tint with dark text: filled green or orange cannot carry white text at AA.
  components: {
    Badge: Badge.extend({ defaultProps: { variant: 'light' } }),
    // A table wider than a phone scrolls sideways: its scroll area takes keyboard focus, so arrow keys scroll it.
    TableScrollContainer: Table.ScrollContainer.extend({
      defaultProps: { scrollAreaProps: { viewportProps: { tabIndex: 0 } } },
    }),
  },
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

// Installable app: the service worker only keeps the offline page (web/public/sw.js).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => void navigator.serviceWorker.register('/sw.js').catch(() => {}));
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={strongText}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
