# %pre ($1: 1 install, 2 upgrade). The user the balancer and peersync run as,
# and the group of the admin sockets (also in /usr/lib/sysusers.d/tandem.conf).
getent group tandem >/dev/null || groupadd -r tandem
getent passwd tandem >/dev/null ||
  useradd -r -g tandem -d /nonexistent -s /sbin/nologin -c "Tandem load balancer" tandem
# Before an upgrade: keep the unit files, so that %post restarts only the
# services whose unit changed (see /usr/libexec/tandem/tandem-maint).
if [ "$1" -ge 2 ] && [ -d /run/systemd/system ]; then
  mkdir -p /run/tandem-upgrade
  for unit in tandem-balancer.service tandem-vrrpd.service tandem-peersync.service; do
    if [ -f "/usr/lib/systemd/system/$unit" ]; then
      cp -f "/usr/lib/systemd/system/$unit" /run/tandem-upgrade/
    fi
  done
fi
exit 0
