#!/bin/bash
# Real shared storage for the two test-bed hosts of two-hosts.sh, as the migration guide's §17.5
# prepares it: one libvirt `netfs` pool, defined the same way on both hosts. Adapted from
# shared/testbed/shared-storage.sh (GlusterFS only).
#
# This kernel has no NFS client or server (nor CIFS, iSCSI, modules), so a third network namespace
# $NS-S (10.77.0.3, a point-to-point veth to each host) runs glusterd with one brick, volume vol0.
# Each host's pool (format glusterfs) is a FUSE mount of type fuse.glusterfs, which libvirt counts as
# shared storage: a guest with cache='none' on it migrates live without --unsafe.
# Needs root, a running two-hosts.sh test bed (same ROOT and NS) and: glusterfs-server glusterfs-client.
#
# Usage: ROOT=/tmp/vb-testbed [NS=vbt] shared-storage.sh up | pools | clean | status | down
#   up     : (after a down) start glusterd and the volume, define, build and start pool "shared" on both hosts
#   pools  : define and start the pool again on a host that lost it (e.g. a test destroyed it)
#   clean  : delete every volume in the pool (between tests); the pool stays
#   down   : stop the pool on both hosts, the FUSE clients, glusterd and its brick, delete $NS-S and
#            $ROOT/storage; safe to run any time, also after a crash or with another ROOT, because
#            it finds what is left by the namespaces' processes, not only by PID files
set -u
ROOT=${ROOT:-/tmp/vb-testbed}
NS=${NS:-vbt}
H=$ROOT/hosts
SS=$ROOT/storage
IP_S=10.77.0.3; VOL=vol0; POOL=shared
MNT=/var/lib/libvirt/images/$POOL   # inside each host's mount namespace: $H/<H>/lib/images/shared
sockuri() { echo "qemu+unix:///system?socket=$H/$1/run/libvirt-sock"; }
gl() { timeout 60 nsenter -t "$(cat $SS/glusterd.pid)" -m -n -- gluster --mode=script "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

pool_xml() {
  cat <<EOF
<pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>
  <name>$POOL</name>
  <source><host name='$IP_S'/><dir path='/$VOL'/><format type='glusterfs'/></source>
  <target><path>$MNT</path></target>
  <fs:mount_opts><fs:option name='log-file=/var/log/libvirt/glusterfs-$POOL.log'/></fs:mount_opts>
</pool>
EOF
}

up() {
  local t0; t0=$(date +%s%N)
  [ "$(id -u)" -eq 0 ] || { echo "shared storage needs root (network namespaces, glusterd, FUSE)" >&2; exit 3; }
  command -v glusterd >/dev/null && command -v mount.glusterfs >/dev/null ||
    { echo "GlusterFS is not installed: run deploy/bin/install-prerequisites test as root" >&2; exit 3; }
  for h in A B; do
    [ -S $H/$h/run/libvirt-sock ] || { echo "host $h of the test bed is not up: run two-hosts.sh up (same ROOT and NS) first" >&2; exit 3; }
  done
  ip netns add $NS-S || { echo "cannot create namespace $NS-S (left over? run: $0 down)" >&2; exit 4; }
  mkdir -p $SS/gluster/lib $SS/gluster/log $SS/gluster/run $SS/brick
  ip -n $NS-S link set lo up
  for h in A B; do   # one point-to-point link per host; two-hosts.sh's A<->B link stays untouched
    ip link add ${NS}${h}S type veth peer name ${NS}S${h}
    ip link set ${NS}${h}S netns $NS-$h; ip link set ${NS}S${h} netns $NS-S
    ip -n $NS-$h link set ${NS}${h}S up; ip -n $NS-S link set ${NS}S${h} up
    ip -n $NS-S addr add $IP_S/32 dev ${NS}S${h}
  done
  ip -n $NS-S route add 10.77.0.1/32 dev ${NS}SA; ip -n $NS-S route add 10.77.0.2/32 dev ${NS}SB
  ip -n $NS-A route add $IP_S/32 dev ${NS}AS src 10.77.0.1
  ip -n $NS-B route add $IP_S/32 dev ${NS}BS src 10.77.0.2
  # glusterd runs geo-replication's Python helper gsyncd about 20 times as it starts (3 s here); the
  # test bed has no geo-replication, so in glusterd's mount namespace gsyncd is a stub that only
  # answers --version as glusterd expects.
  local gsyncd; gsyncd=$(ls /usr/lib/*/glusterfs/gsyncd /usr/libexec/glusterfs/gsyncd 2>/dev/null | head -1)
  printf '#!/bin/sh\n[ "$1" = --version ] && echo "gsyncd.py (stub of the test bed)"\nexit 0\n' > $SS/gsyncd-stub
  chmod +x $SS/gsyncd-stub
  # glusterd with its own /var/lib/glusterd, /run and logs (ip, unshare and sh all exec: $! is glusterd).
  ip netns exec $NS-S unshare --mount --propagation private -- sh -c "
    mount -t tmpfs tmpfs /run; mkdir -p /run/gluster
    mount --bind $SS/gluster/run /run/gluster
    mount --bind $SS/gluster/lib /var/lib/glusterd
    mount --bind $SS/gluster/log /var/log/glusterfs
    ${gsyncd:+mount --bind $SS/gsyncd-stub $gsyncd}
    exec glusterd -N --log-level WARNING" > $SS/glusterd.out 2>&1 &
  echo $! > $SS/glusterd.pid
  local ok=0
  while [ $(ms $t0) -lt 30000 ]; do   # at most 30 s, each try at most 5 s
    timeout 5 nsenter -t "$(cat $SS/glusterd.pid)" -m -n -- gluster --mode=script pool list >/dev/null 2>&1 && { ok=1; break; }
    sleep 0.1
  done
  [ $ok = 1 ] || { echo "glusterd in $NS-S did not answer; see $SS/glusterd.out and $SS/gluster/log" >&2; exit 5; }
  gl volume create $VOL $IP_S:$SS/brick force >/dev/null && gl volume start $VOL >/dev/null ||
    { echo "could not create and start gluster volume $VOL; see $SS/gluster/log" >&2; exit 5; }
  echo "glusterd up with volume $VOL after $(ms $t0) ms"
  pool_xml > $SS/pool.xml
  pools || exit 5
  echo "shared storage up after $(ms $t0) ms"
}

# Defines, builds and starts the pool on each host that lacks it or has it inactive.
pools() {
  [ -f $SS/glusterd.pid ] || { echo "shared storage is not up: run $0 up" >&2; return 3; }
  for h in A B; do
    local u t0; u=$(sockuri $h); t0=$(date +%s%N)
    if ! virsh -q -c "$u" pool-info $POOL >/dev/null 2>&1; then
      virsh -q -c "$u" pool-define $SS/pool.xml >/dev/null && virsh -q -c "$u" pool-build $POOL >/dev/null ||
        { echo "could not define pool $POOL on host $h" >&2; return 5; }
    fi
    if ! virsh -q -c "$u" pool-info $POOL 2>/dev/null | grep -q 'State: *running'; then
      timeout 60 virsh -q -c "$u" pool-start $POOL >/dev/null ||
        { echo "could not start pool $POOL on host $h; see $H/$h/log/glusterfs-$POOL.log" >&2; return 5; }
    fi
    grep -q " $MNT fuse.glusterfs " /proc/$(cat $H/$h/run/libvirtd.pid)/mounts ||
      { echo "pool $POOL on host $h is not a fuse.glusterfs mount at $MNT" >&2; return 5; }
    echo "host $h: pool $POOL active ($(ms $t0) ms)"
  done
}

clean() {
  [ -f $SS/glusterd.pid ] || return 0
  local u; u=$(sockuri A)
  virsh -q -c "$u" pool-refresh $POOL >/dev/null 2>&1
  for v in $(virsh -q -c "$u" vol-list $POOL 2>/dev/null | awk '{print $1}'); do
    virsh -q -c "$u" vol-delete --pool $POOL "$v" >/dev/null 2>&1
  done
  virsh -q -c "$(sockuri B)" pool-refresh $POOL >/dev/null 2>&1
  true
}

alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ') && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }   # zombies count as gone
stop_pid() { # TERM, wait up to 5 s, then KILL
  kill "$1" 2>/dev/null
  for i in $(seq 1 50); do alive "$1" || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
}

down() {
  local t0; t0=$(date +%s%N)
  # 1. Unmount through libvirt while the server still answers (a FUSE mount whose server is gone hangs its users).
  for h in A B; do
    local u; u=$(sockuri $h)
    [ -S $H/$h/run/libvirt-sock ] || continue
    timeout 30 virsh -q -c "$u" pool-destroy $POOL >/dev/null 2>&1
    virsh -q -c "$u" pool-undefine $POOL >/dev/null 2>&1
  done
  # 2. GlusterFS FUSE clients left in the hosts' namespaces (libvirtd gone, or a crash): found by
  #    namespace, so other test beds' clients are never touched; their mount is detached first.
  for h in A B; do
    for p in $(ip netns pids $NS-$h 2>/dev/null); do
      [ "$(cat /proc/$p/comm 2>/dev/null)" = glusterfs ] || continue
      tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q -- "--volfile-server=$IP_S" || continue
      nsenter -t "$p" -m -- umount -l $MNT 2>/dev/null
      stop_pid "$p"
    done
  done
  # 3. glusterd, the brick (glusterfsd) and anything else in $NS-S.
  for p in $(ip netns pids $NS-S 2>/dev/null); do stop_pid "$p"; done
  [ -f $SS/glusterd.pid ] && stop_pid "$(cat $SS/glusterd.pid)"
  ip netns del $NS-S 2>/dev/null   # the veth pairs and the hosts' routes to it go with it
  rm -rf $SS
  echo "shared storage down after $(ms $t0) ms"
}

status() {
  ip netns pids $NS-S >/dev/null 2>&1 || { echo "shared storage is down"; return 0; }
  echo "== $NS-S processes"; for p in $(ip netns pids $NS-S); do echo "$p $(cat /proc/$p/comm)"; done
  [ -f $SS/glusterd.pid ] && gl volume info $VOL | grep -E 'Status|Brick1'
  for h in A B; do echo "== host $h"; virsh -q -c "$(sockuri $h)" pool-list --all; done
}

case "${1:-}" in
  up) up ;;
  pools) pools ;;
  clean) clean ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 up|pools|clean|status|down"; exit 2 ;;
esac
