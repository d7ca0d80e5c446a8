#!/bin/bash
# virt-balancer's test bed: two independent libvirt "hosts" (libvirtd + QEMU/TCG) on one Linux
# machine, so agents can be tested against real live migrations. Adapted from shared/testbed.
#
# Each host is one libvirtd in its own network namespace ($NS-A / $NS-B, NS=vbt unless set, joined by a veth pair
# 10.77.0.1 <-> 10.77.0.2), mount namespace (/etc/libvirt, /run/libvirt, /var/lib/libvirt, ...
# bind-mounted from $ROOT/hosts/<H>), UTS namespace and host_uuid (libvirt refuses to migrate
# between equal UUIDs). Needs root and: libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
# qemu-system-x86 qemu-utils iproute2 util-linux. No systemd, virtlogd, cgroups or security driver.
#
# Usage: ROOT=/tmp/vb-testbed [NS=vbt] two-hosts.sh up | down | status | images
#   up     : (after a down) write configs, create namespaces, start both libvirtd, wait for them
#   down   : destroy guests, stop both libvirtd, delete namespaces; safe to run any time
#   images : write the guests' boot sectors into $ROOT/shared
#   clean  : destroy and undefine every guest and pool on both hosts (between tests); the pool of
#            shared-storage.sh, when it is up, stays and only loses its volumes
#   stop-daemon A|B, start-daemon A|B : stop or start one host's libvirtd only (its guests keep running)
# shared-storage.sh (same ROOT and NS) adds a GlusterFS pool "shared" to both hosts; down stops it too.
# Client URIs (root namespace): qemu+unix:///system?socket=$ROOT/hosts/A/run/libvirt-sock (and B)
set -u
ROOT=${ROOT:-/tmp/vb-testbed}
# Prefix of the namespaces and veth names: two test beds (two checkouts testing at once) need different ones.
NS=${NS:-vbt}
H=$ROOT/hosts
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S=$ROOT/shared     # both hosts see this path: shared storage for the guests' boot disks
UUID_A=5f0c6b1e-3a3e-4f7a-9d2b-0a1b2c3d4e01
UUID_B=5f0c6b1e-3a3e-4f7a-9d2b-0a1b2c3d4e02
IP_A=10.77.0.1; IP_B=10.77.0.2
sockuri() { echo "qemu+unix:///system?socket=$H/$1/run/libvirt-sock"; }

write_conf() { # $1=A|B $2=ip $3=uuid $4=first migration port
  local d=$H/$1
  mkdir -p $d/etc $d/run $d/lib/images $d/log $d/cache
  cat > $d/etc/libvirtd.conf <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "$2"
tcp_port = "16509"
auth_tcp = "none"
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0770"
host_uuid = "$3"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
  cat > $d/etc/qemu.conf <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
migration_address = "$2"
migration_host = "$2"
migration_port_min = $4
migration_port_max = $(( $4 + 15 ))
CONF
  : > $d/etc/libvirt.conf
}

# The one way a test libvirtd is started: in host $1's network namespace, with a private mount and
# UTS namespace in which its own directories are bind-mounted over libvirt's.
start_daemon() {
  local d=$H/$1
  # ip, unshare and sh all exec(), so $! ends up as libvirtd's PID (it also writes --pid-file).
  ip netns exec $NS-$1 unshare --mount --uts --propagation private -- sh -c "
    hostname host$1
    mount --bind $d/etc   /etc/libvirt
    mount --bind $d/run   /run/libvirt
    mount --bind $d/lib   /var/lib/libvirt
    mount --bind $d/log   /var/log/libvirt
    mount --bind $d/cache /var/cache/libvirt
    exec libvirtd --listen --pid-file $d/run/libvirtd.pid" >> $d/libvirtd.out 2>&1 &
  echo $! > $d/libvirtd.launcher.pid
}

wait_daemon() {
  local ok=0 launcher; launcher=$(cat $H/$1/libvirtd.launcher.pid)
  for i in $(seq 1 120); do
    virsh -c "$(sockuri $1)" hostname >/dev/null 2>&1 && { ok=1; break; }
    kill -0 "$launcher" 2>/dev/null ||
      { echo "libvirtd of host $1 exited: $(tail -3 $H/$1/libvirtd.out) $(grep ' error : ' $H/$1/log/libvirtd.log | tail -3)" >&2; exit 5; }
    sleep 0.25
  done
  [ $ok = 1 ] || { echo "libvirtd of host $1 did not answer; see $H/$1/libvirtd.out" >&2; exit 5; }
  echo "host $1: $(sockuri $1) pid $(cat $H/$1/run/libvirtd.pid 2>/dev/null)"
}

# Stops host $1's libvirtd (SIGTERM, then SIGKILL after 5 s); its guests keep running, as they do
# when a real host's libvirtd stops.
stop_daemon() {
  for pf in $H/$1/run/libvirtd.pid $H/$1/libvirtd.launcher.pid; do
    [ -f $pf ] || continue
    p=$(cat $pf); kill "$p" 2>/dev/null
    for i in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$p" 2>/dev/null; rm -f $pf
  done
}

up() {
  command -v libvirtd >/dev/null || { echo "libvirtd is not installed: run deploy/bin/install-prerequisites test as root" >&2; exit 3; }
  [ "$(id -u)" -eq 0 ] || { echo "the test bed needs root (network namespaces, libvirtd)" >&2; exit 3; }
  # Bind-mount targets: on a machine where no libvirtd ever ran, they do not exist yet.
  mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
  write_conf A $IP_A $UUID_A 49152
  write_conf B $IP_B $UUID_B 49200
  ip netns add $NS-A && ip netns add $NS-B || { echo "cannot create network namespaces (left over? run: $0 down)" >&2; exit 4; }
  ip link add ${NS}A0 type veth peer name ${NS}B0
  ip link set ${NS}A0 netns $NS-A; ip link set ${NS}B0 netns $NS-B
  ip -n $NS-A addr add $IP_A/24 dev ${NS}A0; ip -n $NS-B addr add $IP_B/24 dev ${NS}B0
  for h in A B; do ip -n $NS-$h link set lo up; ip -n $NS-$h link set ${NS}${h}0 up; done
  for h in A B; do start_daemon $h; done
  for h in A B; do wait_daemon $h; done
  images
}

clean_guests() {
  for h in A B; do
    local u; u=$(sockuri $h)
    [ -S "$H/$h/run/libvirt-sock" ] || continue
    for dom in $(virsh -c "$u" list --name 2>/dev/null); do virsh -c "$u" destroy "$dom" >/dev/null 2>&1; done
    for dom in $(virsh -c "$u" list --all --name 2>/dev/null); do virsh -c "$u" undefine "$dom" >/dev/null 2>&1; done
    for pool in $(virsh -c "$u" pool-list --all --name 2>/dev/null); do
      [ "$pool" = shared ] && [ -f $ROOT/storage/glusterd.pid ] && continue   # shared-storage.sh's, kept
      virsh -c "$u" pool-destroy "$pool" >/dev/null 2>&1; virsh -c "$u" pool-undefine "$pool" >/dev/null 2>&1
    done
  done
}

down() {
  "$HERE/shared-storage.sh" down >/dev/null   # first: its FUSE mounts live in the hosts' namespaces
  clean_guests
  for h in A B; do
    stop_daemon $h
    # libvirtd leaves guests running when it exits
    for pf in $H/$h/run/qemu/*.pid; do [ -f "$pf" ] && kill -9 "$(cat "$pf")" 2>/dev/null; done
  done
  ip netns del $NS-A 2>/dev/null; ip netns del $NS-B 2>/dev/null
  true
}

status() {
  for h in A B; do echo "== host $h"; virsh -c "$(sockuri $h)" list --all; done
}

# Boot sectors assembled from guests/counter.asm and guests/dirty.asm (nasm -f bin), as hex so the
# test bed needs no assembler. counter: prints "counter XXXXXXXX" to COM1 twice a second, the count
# in a CPU register, so a restart shows. dirty: rewrites 48 MiB of RAM in a loop (hard to migrate).
COUNTER_HEX=31c08ed88ed0bc007c6631ed6645be547ce830006689e8b9080066c1c0046650240f04303c3976020407e822006658e2e9b00de81900b00ae81400b90900fbf4e2fcebc8ac84c07405e80300ebf6c3baf803eec3636f756e74657220
DIRTY_HEX=fa31c08ed88ed0bc007c0f01169c7c0f20c00c010f22c0eb00bb08008ec324fe0f22c031c08ec0e4920c02e6926631ed664566bf0000100066b90000c0006689e8f36667abf7c50f0075e5be857ce824006689e8b9080066c1c0046650240f04303c3976020407e816006658e2e9b00ae80d00ebbbac84c07405e80300ebf6c3baf803eec3646972747920000000000000000000ffff00000092cf000f008c7c

bootimg() { # $1=hex $2=file
  printf "$(echo $1 | sed 's/../\\x&/g')" > $2
  truncate -s 510 $2; printf '\x55\xaa' >> $2; truncate -s 1M $2
}

images() {
  mkdir -p $S
  bootimg $COUNTER_HEX $S/counter.img
  bootimg $DIRTY_HEX $S/dirty.img
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-daemon|start-daemon)
     case "${2:-}" in A|B) ;; *) echo "usage: $0 $1 A|B" >&2; exit 2 ;; esac
     if [ "$1" = stop-daemon ]; then stop_daemon "$2"; else start_daemon "$2"; wait_daemon "$2"; fi ;;
  images) images ;;
  clean) clean_guests; "$HERE/shared-storage.sh" clean
         find $H/A/lib/images $H/B/lib/images -maxdepth 1 -type f -delete; rm -f $S/*.serial.log ;;
  *) echo "usage: $0 up|down|status|images|clean|stop-daemon A|B|start-daemon A|B"; exit 2 ;;
esac
