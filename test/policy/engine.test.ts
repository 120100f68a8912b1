import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { buildDecider } from '../../src/server/policy/install.js';
import type { Identity } from '../../src/server/auth/identity.js';
import type { ApiRequestFacts } from '../../src/server/policy/api-request.js';

/** The three example rules of the config contract (DESIGN.md), plus a few for shell commands. */
const config = parseConfig(
  {
    connections: [
      { name: 'k8s-prod', type: 'kubernetes', kubeconfig: '/nonexistent' },
      { name: 'ops-shell', type: 'command', command: ['bash'] },
    ],
    policy: {
      default: 'allow',
      rules: [
        { name: 'deleting pods needs on-call', match: { connection: 'k8s-prod', verbs: ['delete'], resources: ['pods'] }, action: 'review', approvers: { groups: ['oncall'], count: 1 }, timeout: '15m' },
        { name: 'privileged pods need security', match: { privileged: true }, action: 'review', approvers: { groups: ['security'] } },
        { name: 'never touch kube-system secrets', match: { verbs: ['delete', 'update', 'patch', 'create'], resources: ['secrets'], namespaces: ['kube-system'] }, action: 'deny' },
        { name: 'scaling deployments needs on-call', match: { verbs: ['patch'], resources: ['deploy'] }, action: 'review', approvers: { groups: ['oncall'] } },
        { name: 'exec into pods needs review', match: { resources: ['pods/exec'] }, action: 'review', approvers: { groups: ['oncall'] } },
        { name: 'recursive rm', match: { commands: ['rm -r', 'rm --recursive'] }, action: 'review', approvers: { groups: ['oncall'] } },
        { name: 'no dd to disks', match: { commands: ['dd of=/dev/*'] }, action: 'deny' },
        { name: 'interns may not delete anything', match: { groups: ['interns'], verbs: ['delete'] }, action: 'deny' },
      ],
    },
  },
  'test',
);
const decider = buildDecider(config.policy);
const alice = { identity: { user: 'alice', groups: ['dev'], issuer: 'x' } satisfies Identity, connection: 'k8s-prod' };

describe('kubectl forms (broker) against the contract rules', () => {
  const cases: [string, string, string | undefined][] = [
    ['delete pod web-1', 'review', 'deleting pods needs on-call'],
    ['kubectl delete pod web-1', 'review', 'deleting pods needs on-call'],
    ['delete pod/web-1', 'review', 'deleting pods needs on-call'],
    ['delete po web-1 web-2', 'review', 'deleting pods needs on-call'],
    ['delete pods -l app=web', 'review', 'deleting pods needs on-call'],
    ['delete pods --all -n prod', 'review', 'deleting pods needs on-call'],
    ['-n prod delete pods web-1', 'review', 'deleting pods needs on-call'],
    ['delete --namespace=prod po/web-1 svc/web', 'review', 'deleting pods needs on-call'],
    ['delete pods.v1. web-1', 'allow', undefined],
    ['delete svc web', 'allow', undefined],
    ['get pods', 'allow', undefined],
    ['get pods -A -w', 'allow', undefined],
    ['delete -f -', 'allow', undefined], // the manifest is decided at the API layer
    ['delete secret db -n kube-system', 'deny', 'never touch kube-system secrets'],
    ['delete secrets db --namespace kube-system', 'deny', 'never touch kube-system secrets'],
    ['-nkube-system delete secret db', 'deny', 'never touch kube-system secrets'],
    ['delete secret db -A', 'deny', 'never touch kube-system secrets'],
    ['create secret generic x --from-literal=a=b -n kube-system', 'deny', 'never touch kube-system secrets'],
    ['create secret generic x --from-literal=a=b -n prod', 'allow', undefined],
    ['get secret db -n kube-system -o yaml', 'allow', undefined],
    ['run debug --image=busybox --privileged', 'review', 'privileged pods need security'],
    ['run debug --image=busybox', 'allow', undefined],
    ['run x --image=busybox --overrides={"spec":{"hostNetwork":true}}', 'review', 'privileged pods need security'],
    ['debug node/worker-1 -it --image=busybox', 'review', 'privileged pods need security'],
    ['scale deploy web --replicas=0', 'review', 'scaling deployments needs on-call'],
    ['scale deployments.apps/web --replicas=3', 'review', 'scaling deployments needs on-call'],
    ['rollout restart deployment/web', 'review', 'scaling deployments needs on-call'],
    ['rollout status deployment/web', 'allow', undefined],
    ['exec web-1 -- ls', 'review', 'exec into pods needs review'],
    ['exec -it web-1 -c app -- sh', 'review', 'exec into pods needs review'],
    ['logs web-1 -f', 'allow', undefined],
    ['version', 'allow', undefined],
  ];
  it.each(cases)('%s → %s', (line, action, rule) => {
    const decision = decider.kubectl(alice, line.split(' '));
    expect(decision.action).toBe(action);
    expect(decision.rule?.name).toBe(rule);
  });

  it('the connection scopes a rule', () => {
    expect(decider.kubectl({ ...alice, connection: 'k8s-dev' }, ['delete', 'pod', 'x']).action).toBe('allow');
  });

  it('groups match any of the caller\'s groups', () => {
    const intern = { identity: { user: 'ivan', groups: ['dev', 'interns'], issuer: 'x' }, connection: 'k8s-dev' };
    expect(decider.kubectl(intern, ['delete', 'svc', 'x']).rule?.name).toBe('interns may not delete anything');
  });

  it('explains why, field by field', () => {
    const decision = decider.kubectl(alice, ['delete', 'po', 'web-1', '-n', 'prod']);
    expect(decision.why).toEqual(['connection is k8s-prod', 'verb is delete', 'resource is pods']);
    const all = decider.kubectl(alice, ['delete', 'secret', 'x', '-A'], { explain: true });
    expect(all.matches?.map((match) => match.rule.name)).toEqual(['never touch kube-system secrets']);
    expect(all.why).toContain('all namespaces (-A) include kube-system');
  });
});

describe('shell lines against rules', () => {
  const ops = { identity: alice.identity, connection: 'ops-shell' };
  const cases: [string, string, string?][] = [
    ['ls -la', 'allow'],
    ['rm -rf /tmp/x', 'review', 'recursive rm'],
    ['rm -fr /tmp/x', 'review', 'recursive rm'],
    ['rm -r -f /tmp/x', 'review', 'recursive rm'],
    ['rm --recursive /tmp/x', 'review', 'recursive rm'],
    ['rm /tmp/x', 'allow'],
    ['/bin/rm -rf /tmp/x', 'review', 'recursive rm'],
    ['  rm    -rf   /tmp/x  ', 'review', 'recursive rm'],
    ['"rm" -rf /tmp/x', 'review', 'recursive rm'],
    ["r'm' -rf /tmp/x", 'review', 'recursive rm'],
    ['r\\m -rf /tmp/x', 'review', 'recursive rm'],
    ["$'\\x72\\x6d' -rf /tmp/x", 'review', 'recursive rm'],
    ['echo hi; rm -rf /tmp/x', 'review', 'recursive rm'],
    ['true && rm -rf /tmp/x', 'review', 'recursive rm'],
    ['false || rm -rf /tmp/x', 'review', 'recursive rm'],
    ['echo /tmp/x | xargs rm -rf', 'review', 'recursive rm'],
    ['echo -r | xargs rm', 'review', 'recursive rm'], // xargs adds words the gate cannot see
    ['(cd /tmp && rm -rf x)', 'review', 'recursive rm'],
    ['{ rm -rf /tmp/x; }', 'review', 'recursive rm'],
    ['echo $(rm -rf /tmp/x)', 'review', 'recursive rm'],
    ['echo `rm -rf /tmp/x`', 'review', 'recursive rm'],
    ['bash -c "rm -rf /tmp/x"', 'review', 'recursive rm'],
    ["sh -c 'echo a; rm -rf /tmp/x'", 'review', 'recursive rm'],
    ['eval rm -rf /tmp/x', 'review', 'recursive rm'],
    ["eval 'rm -rf /tmp/x'", 'review', 'recursive rm'],
    ['sudo rm -rf /tmp/x', 'review', 'recursive rm'],
    ['env A=1 nice -n 5 timeout 10 rm -rf /tmp/x', 'review', 'recursive rm'],
    ['rm $FLAGS /tmp/x', 'review', 'recursive rm'], // a run-time word may be -r
    ['bash <<EOF\nrm -rf /tmp/x\nEOF', 'review', 'recursive rm'],
    ['bash <<< "rm -rf /tmp/x"', 'review', 'recursive rm'],
    ['cat <<EOF\nrm -rf /tmp/x\nEOF', 'allow'], // data, not a command
    ['if true; then rm -rf /tmp/x; fi', 'review', 'recursive rm'],
    ['for f in a b; do rm -rf /tmp/$f; done', 'review', 'recursive rm'],
    ['for f in -r -v; do rm $f /tmp/x; done', 'review', 'recursive rm'], // $f may be -r
    ['for i in $(seq 1 3); do echo $i; done', 'allow'],
    ['dd if=/dev/zero of=/dev/sda', 'deny', 'no dd to disks'],
    ['echo ok; dd if=/dev/zero of=/dev/sda & rm -rf /x', 'deny', 'no dd to disks'],
    ['kubectl delete pod web-1', 'allow'], // ops-shell: the pods rule is scoped to k8s-prod
    ['kubectl -n kube-system delete secret db', 'deny', 'never touch kube-system secrets'],
    ['KUBECONFIG=x kubectl delete secret db -n kube-system', 'deny', 'never touch kube-system secrets'],
    ['echo x | bash -c "kubectl delete secret db -n kube-system"', 'deny', 'never touch kube-system secrets'],
  ];
  it.each(cases)('%j → %s', (line, action, rule) => {
    const decision = decider.shellLine(ops, line);
    expect(decision.action).toBe(action);
    expect(decision.rule?.name).toBe(rule);
  });

  const unparsable: [string, RegExp][] = [
    ['echo cm0gLXJmIC90bXAveA== | base64 -d | sh', /sh reading commands from a pipe/],
    ['base64 -d <<< cm0gLXJmIC8= | bash', /bash reading commands from a pipe/],
    ['bash ./cleanup.sh', /a script file run by bash/],
    ['source ./cleanup.sh', /a script run with source/],
    ['. ./cleanup.sh', /a script run with \./],
    ['alias k=kubectl', /an alias definition/],
    ['nuke() { rm -rf "$1"; }', /a function definition/],
    ['function nuke { rm -rf "$1"; }', /a function definition/],
    ['$(printf rm) -rf /tmp/x', /a program name only known at run time/],
    ['$CMD -rf /tmp/x', /a program name only known at run time/],
    ['eval "$X"', /eval of text only known at run time/],
    ['bash -c "$X"', /only known at run time/],
    ['python3 -c "import os; os.system(\'rm -rf /\')"', /inline python3 code/],
    ['env -S "rm -rf /tmp/x"', /env -S/],
  ];
  it.each(unparsable)('%j cannot be fully understood → policy.unparsable (review)', (line, why) => {
    const decision = decider.shellLine(ops, line);
    expect(decision.action).toBe('review');
    expect(decision.problems.join(' ')).toMatch(why);
  });

  it('a line it cannot read is not held where no rule could refuse or hold anything', () => {
    const open = buildDecider(parseConfig({ policy: { rules: [{ name: 'elsewhere', match: { connection: 'prod', commands: ['rm'] }, action: 'deny' }] } }, 'test').policy);
    expect(open.shellLine({ identity: alice.identity, connection: 'dev-shell' }, 'echo x | base64 -d | sh').action).toBe('allow');
    expect(open.shellLine({ identity: alice.identity, connection: 'prod' }, 'echo x | base64 -d | sh').action).toBe('review');
  });

  const incomplete = ['echo "abc', "echo 'abc", 'rm -rf \\', 'ls |', 'true &&', 'cat <<EOF', 'if true; then', '(echo a', 'echo $(ls'];
  it.each(incomplete)('%j is incomplete: the shell asks for more', (line) => {
    expect(decider.shellLine(ops, line).complete).toBe(false);
  });
});

describe('API requests against the same rules', () => {
  const base: Omit<ApiRequestFacts, 'verb' | 'resource' | 'apiGroup' | 'description'> = { sessionId: 's', connection: 'k8s-prod', identity: alice.identity, namespace: 'default' };
  const privilegedPod = { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } };
  const hostPathDeploy = { kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c' }], volumes: [{ name: 'root', hostPath: { path: '/' } }] } } } };
  const hostPidCronJob = { kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { hostPID: true, containers: [{ name: 'c' }] } } } } } };
  const cases: [string, Partial<ApiRequestFacts>, string, string?][] = [
    ['DELETE pod', { verb: 'delete', resource: 'pods', apiGroup: '', name: 'web-1' }, 'review', 'deleting pods needs on-call'],
    ['DELETE pods collection', { verb: 'deletecollection', resource: 'pods', apiGroup: '' }, 'review', 'deleting pods needs on-call'],
    ['GET pod', { verb: 'get', resource: 'pods', apiGroup: '', name: 'web-1' }, 'allow'],
    ['POST privileged pod', { verb: 'create', resource: 'pods', apiGroup: '', body: privilegedPod }, 'review', 'privileged pods need security'],
    ['POST plain pod', { verb: 'create', resource: 'pods', apiGroup: '', body: { kind: 'Pod', spec: { containers: [{ name: 'c' }] } } }, 'allow'],
    ['PATCH deployment with hostPath', { verb: 'update', resource: 'deployments', apiGroup: 'apps', name: 'd', body: hostPathDeploy }, 'review', 'privileged pods need security'],
    ['POST cronjob with hostPID', { verb: 'create', resource: 'cronjobs', apiGroup: 'batch', body: hostPidCronJob }, 'review', 'privileged pods need security'],
    ['DELETE kube-system secret', { verb: 'delete', resource: 'secrets', apiGroup: '', namespace: 'kube-system', name: 'x' }, 'deny', 'never touch kube-system secrets'],
    ['PATCH deployment scale', { verb: 'patch', resource: 'deployments', apiGroup: 'apps', subresource: 'scale', name: 'web' }, 'review', 'scaling deployments needs on-call'],
    ['exec', { verb: 'create', resource: 'pods', apiGroup: '', subresource: 'exec', name: 'web-1' }, 'review', 'exec into pods needs review'],
  ];
  it.each(cases)('%s → %s', (_label, facts, action, rule) => {
    const decision = decider.api({ ...base, description: 'x', ...facts } as ApiRequestFacts);
    expect(decision.action).toBe(action);
    expect(decision.rule?.name).toBe(rule);
  });
});
