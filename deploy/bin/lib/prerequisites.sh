# What building and testing virt-balancer needs from the machine, in one place: sourced by
# deploy/bin/install-prerequisites (which installs or creates what is missing) and by
# deploy/bin/unprovision (which removes it again, to prove the first works on a clean machine).
# Debian 12 package names.

# The build: a JDK 17 and Maven. Machines of this project's kind come with both; unprovision keeps them.
BUILD_PACKAGES=(openjdk-17-jdk-headless maven)

# Every test run: libvirt's client library (test:///default driver), headless Chromium and its
# driver (LivePageTest), promtool (package prometheus, installed without recommends and with its
# service stopped) for the /metrics and dashboard checks.
TEST_PACKAGES=(libvirt0 chromium chromium-driver)
PROMTOOL_PACKAGE=prometheus

# As root: the two real libvirt hosts of deploy/testbed (libvirtd, QEMU, network namespaces),
# iptables for the partition fault tests, GlusterFS for the shared storage pool.
ROOT_TEST_PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  iproute2 iptables util-linux glusterfs-server glusterfs-client)

# Packages of the machine image itself, which unprovision never removes even when listed above.
IMAGE_PACKAGES=(openjdk-17-jdk-headless maven iproute2 util-linux)

# A privileged libvirtd resolves the QEMU driver's compiled-in default user and group (both
# 'libvirt-qemu' in Debian's build) before it reads qemu.conf, and refuses to start without them
# ("Failed to parse user 'libvirt-qemu'"); Debian creates them in libvirt-daemon-system, which the
# tests do not otherwise need (it would also start a system libvirtd).
QEMU_USER=libvirt-qemu
QEMU_GROUP=libvirt-qemu

# Directories that libvirtd, GlusterFS and Prometheus create or need, and the test bed's leftovers.
STATE_DIRS=(/etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
  /var/lib/glusterd /etc/glusterfs /var/log/glusterfs /run/gluster /var/lib/prometheus /etc/prometheus)

# Installs Debian packages quietly (root or sudo).
apt_install() {
  local sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  if [ -z "${VB_APT_UPDATED:-}" ]; then
    $sudo_cmd apt-get update -qq
    VB_APT_UPDATED=1
  fi
  echo "installing: $*" >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@"
}
