// The shell text that isolates a task. Two stages, both plain POSIX sh driving util-linux:
//   outer: joins the task's cgroups (children inherit them), then execs `unshare` for new
//          mount/uts (+ pid, ipc) namespaces with a forked child as pid 1;
//   inner: pid 1 there. Builds the chroot with bind mounts (read-only system dirs, the alloc
//          dir, a private /dev, a fresh /proc, a tmpfs secrets dir), starts the task as its
//          child in a process group of its own (setsid), reports "ready" on fd 3, waits, records the
//          exit status in a file so a restarted client can still learn it.
// All mounts live in the task's private mount namespace: they vanish with its last process,
// so nothing leaks onto the host even when the client dies.
import type { ChrootBind } from './chroot-env.js';
import type { ToolPaths } from './host-tools.js';

/** Exit status of the launcher when it could not set the task up (it also says why on fd 3). */
export const SETUP_FAILED_EXIT = 125;

export interface LaunchSpec {
  root: string;
  /** Host path of the group's shared alloc dir, mounted at /alloc. */
  allocShared: string;
  binds: ChrootBind[];
  uid: number;
  gid: number;
  command: string;
  args: string[];
  pidMode: 'private' | 'host';
  ipcMode: 'private' | 'host';
  /** cgroup.procs files the launcher joins before anything else runs. */
  cgroupProcs: string[];
  statusFile: string;
  /** Size of the secrets tmpfs; Nomad gives 1 MiB. */
  secretsSizeKiB: number;
  /** Host volumes bound below the root (target relative to it), read-only when asked. */
  volumes?: Array<{ hostPath: string; target: string; readOnly: boolean }>;
}

/** Single-quotes a value for sh: the only character that needs care inside '' is ' itself. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const DEVICES: Array<[name: string, major: number, minor: number]> = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

export function innerScript(s: LaunchSpec, t: ToolPaths): string {
  const R = '"$R"';
  const lines: string[] = [
    `R=${shq(s.root)}`,
    `fail() { echo "error: $*" >&3; exit ${SETUP_FAILED_EXIT}; }`,
    `bind_ro() { ${t.mount} --bind "$1" "$2" || fail "failed to mount $1 into the chroot"; ${t.mount} -o remount,bind,ro,nosuid "$2" || fail "failed to make $2 read-only"; }`,
  ];
  for (const b of s.binds) lines.push(`bind_ro ${shq(b.hostPath)} ${R}${shq(b.target)}`);
  for (const v of s.volumes ?? []) {
    const target = `${R}${shq(v.target)}`;
    lines.push(`${t.mkdir} -p ${target} && ${t.mount} --bind ${shq(v.hostPath)} ${target} || fail ${shq(`failed to mount host volume ${v.hostPath} at ${v.target}`)}`);
    if (v.readOnly) lines.push(`${t.mount} -o remount,bind,ro,nosuid ${target} || fail ${shq(`failed to make ${v.target} read-only`)}`);
  }
  lines.push(
    `${t.mount} --bind ${shq(s.allocShared)} ${R}/alloc || fail "failed to mount the alloc dir"`,
    `${t.mount} -t tmpfs -o mode=0755,size=512k,nosuid tmpfs ${R}/dev || fail "failed to mount /dev"`,
  );
  for (const [name, major, minor] of DEVICES) lines.push(`${t.mknod} -m 0666 ${R}/dev/${name} c ${major} ${minor} || fail "failed to create /dev/${name}"`);
  lines.push(
    `${t.ln} -s /proc/self/fd ${R}/dev/fd && ${t.ln} -s /proc/self/fd/0 ${R}/dev/stdin && ${t.ln} -s /proc/self/fd/1 ${R}/dev/stdout && ${t.ln} -s /proc/self/fd/2 ${R}/dev/stderr`,
    `${t.mkdir} ${R}/dev/shm ${R}/dev/pts && ${t.mount} -t tmpfs -o mode=1777,nosuid,nodev tmpfs ${R}/dev/shm || fail "failed to mount /dev/shm"`,
    // A pty device is a nicety (some programs want one); the task runs without it.
    `${t.mount} -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts ${R}/dev/pts 2>/dev/null && ${t.ln} -s pts/ptmx ${R}/dev/ptmx`,
    `${t.mount} -t proc -o nosuid,nodev,noexec proc ${R}/proc || fail "failed to mount /proc"`,
    // secrets: a tmpfs only this task sees, seeded with what the client already put there.
    `if [ -n "$(${t.ls} -A ${R}/secrets)" ]; then ${t.mkdir} ${R}/dev/.seed && ${t.cp} -a ${R}/secrets/. ${R}/dev/.seed/ || fail "failed to copy secrets"; fi`,
    `${t.mount} -t tmpfs -o mode=0700,uid=${s.uid},gid=${s.gid},size=${s.secretsSizeKiB}k,nosuid,nodev tmpfs ${R}/secrets || fail "failed to mount the secrets dir"`,
    `if [ -d ${R}/dev/.seed ]; then ${t.cp} -a ${R}/dev/.seed/. ${R}/secrets/ && ${t.chown} -R ${s.uid}:${s.gid} ${R}/secrets && ${t.rm} -rf ${R}/dev/.seed || fail "failed to seed secrets"; fi`,
    // The task may be OOM-killed; pid 1 (this shell) must not be, or the exit status is lost.
    `( echo 0 > /proc/self/oom_score_adj; exec ${t.setsid} ${t.chroot} --userspec=${s.uid}:${s.gid} ${R} ${[s.command, ...s.args].map(shq).join(' ')} ) 3>&- &`,
    'child=$!',
    'echo ready >&3',
    'exec 3>&-',
    'wait "$child"',
    'st=$?',
    `echo "$st" > ${shq(s.statusFile)}`,
    'exit "$st"',
  );
  return lines.join('\n');
}

export function outerScript(s: LaunchSpec, t: ToolPaths): string {
  const join = s.cgroupProcs.map((f) => `echo $$ > ${shq(f)}`).join(' && ');
  const ns = ['--mount', '--uts'];
  if (s.pidMode === 'private') ns.push('--pid');
  if (s.ipcMode === 'private') ns.push('--ipc');
  return [
    `${join || 'true'} || { echo "error: failed to join the task's cgroups" >&3; exit ${SETUP_FAILED_EXIT}; }`,
    // Some kernels (restricted VMs) refuse negative values with EIO; the memory cgroup's killer
    // still picks the task, which is far bigger than this shell, so go on without a word in the
    // task's stderr.
    'echo -1000 > /proc/self/oom_score_adj 2>/dev/null || true',
    // --kill-child: should unshare die, pid 1 and with it the whole namespace die too.
    `exec ${t.unshare} ${ns.join(' ')} --fork --kill-child -- /bin/sh -c ${shq(innerScript(s, t))}`,
  ].join('\n');
}
