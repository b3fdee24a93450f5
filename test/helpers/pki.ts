import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** openssl's key options: an elliptic-curve (P-256) key or an RSA key, unencrypted. */
export const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
export const RSA_KEY = ['-newkey', 'rsa:2048', '-nodes'];

/**
 * Certificates made with openssl in `dir` for one test run (valid two days), each as `<name>.pem`
 * and `<name>.key` there; `key` is EC_KEY or RSA_KEY.
 */
export function certificateMaker(dir: string, key: string[]) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  return {
    /** A self-signed CA. */
    ca(name: string, subject: string): void {
      run(
        'req',
        '-x509',
        ...key,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-subj',
        subject,
      );
    },
    /** A certificate issued by the CA `ca`; a server's names 127.0.0.1 as its address. */
    issue(name: string, ca: string, subject: string, options: { server?: boolean } = {}): void {
      run('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
      run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.pem`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        ...(options.server ? ['-extfile', 'san.ext'] : []),
      );
    },
    read: (file: string) => fs.readFileSync(path.join(dir, file), 'utf8'),
    file: (file: string) => path.join(dir, file),
  };
}
