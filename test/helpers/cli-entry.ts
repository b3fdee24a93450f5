// The esimdesk command run from the sources (tests spawn it: bin/esimdesk.js would prefer a possibly stale build).
import { main } from '../../src/main.js';

await main(process.argv);
