/**
 * `type: kubernetes` connections (broker mode, DESIGN.md "Session modes"): there is no shell. Each
 * run is one kubectl command, checked by the broker command check, run as kubectl with a session
 * kubeconfig that points at the gateway's kube proxy. Also: `withKubeAccess` gives a `command`
 * connection with `kubernetes: NAME` the same proxied kubeconfig.
 *
 * It must never put the connection's real kubeconfig (path or content) into a session.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import type { CommandConnectionConfig, KubernetesConnectionConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors.js';
import { checkKubectlCommand } from '../kube/kubectl-command.js';
import type { KubeProxy } from '../kube/proxy.js';
import { writeSessionKubeconfig } from '../kube/session-kubeconfig.js';
import type { ConnectionDriver, RunCommand, SessionContext } from './driver.js';

export const DEFAULT_KUBECTL = '/usr/bin/kubectl';

/** Programs kubectl itself may start (kubectl diff runs `diff`); nothing else is on its PATH. */
const HELPER_PROGRAMS = ['/usr/bin/diff'];

/** Issues the session token and writes the proxied kubeconfig into HOME; sets KUBECONFIG. */
export function provideKubeconfig(proxy: KubeProxy, context: SessionContext, kubernetesConnection: string): void {
  const { token, namespace } = proxy.issueToken(context.id, kubernetesConnection);
  const file = writeSessionKubeconfig(context.home, { name: kubernetesConnection, server: proxy.url, caPem: proxy.caPem, token, namespace });
  context.env.KUBECONFIG = file;
}

/** A PATH with only kubectl's helpers: plugins (kubectl-*) on the gateway host are unreachable. */
function privatePath(home: string): string {
  const dir = path.join(home, '.hoop-bin');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const program of HELPER_PROGRAMS) {
    try {
      symlinkSync(program, path.join(dir, path.basename(program)));
    } catch {
      /* already there, or the helper is not installed */
    }
  }
  return dir;
}

export function createKubernetesDriver(proxy: KubeProxy): ConnectionDriver {
  return {
    type: 'kubernetes',
    mode: (interactive) => (interactive ? 'broker' : 'runs'),
    async prepare(context) {
      provideKubeconfig(proxy, context, context.connection.name);
      context.env.PATH = privatePath(context.home);
      // No editor or pager on the gateway host, whatever kubectl might look for.
      context.env.KUBE_EDITOR = '/bin/false';
      context.env.EDITOR = '/bin/false';
      context.env.VISUAL = '/bin/false';
      context.env.PAGER = 'cat';
    },
    shellSpec() {
      throw new GatewayError('SESSION_STATE', 'kubernetes connections have no shell; send one kubectl command per run');
    },
    runSpec(context, command) {
      const { argv } = checkKubectlCommand(command);
      if (argv.length === 0) throw new GatewayError('BAD_REQUEST', 'give a kubectl command, e.g. get pods');
      const connection = context.connection as KubernetesConnectionConfig;
      return { file: connection.kubectl ?? DEFAULT_KUBECTL, args: argv, env: context.env, cwd: context.home };
    },
    describe: (command: RunCommand) => {
      // Quoted as a shell would need it, so audit shows `sh -c 'echo hi; exit 3'` as one word.
      const words = typeof command === 'string' ? command.trim() : quote(command);
      return /^kubectl(\s|$)/.test(words) ? words : `kubectl ${words}`.trim();
    },
    cleanup(context) {
      proxy.revoke(context.id);
    },
  };
}

/** The command driver, plus a proxied kubeconfig for connections that name `kubernetes:`. */
export function withKubeAccess(driver: ConnectionDriver, proxy: KubeProxy): ConnectionDriver {
  return {
    ...driver,
    async prepare(context) {
      const cluster = (context.connection as CommandConnectionConfig).kubernetes;
      if (cluster) provideKubeconfig(proxy, context, cluster);
      await driver.prepare(context);
    },
    cleanup(context) {
      proxy.revoke(context.id);
      driver.cleanup(context);
    },
  };
}
