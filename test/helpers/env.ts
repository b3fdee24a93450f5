/** Test settings, read once. Tests never read process.env anywhere else. */
export const TEST_ENV = {
  ci: ['1', 'true'].includes(process.env.CI ?? ''),
  pgUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  dialects: (process.env.TEST_DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim()) as Array<
    'sqlite' | 'postgres'
  >,
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
};

/** Flags Chromium needs to start headless as root on a closed network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
