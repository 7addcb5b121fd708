# %preun ($1: 0 erase, 1 upgrade). Erasing stops the node's daemons, through
# systemd and then any still running from /usr/sbin. An upgrade stops nothing.
if [ "$1" -eq 0 ]; then
  /usr/libexec/tandem/tandem-maint stop-all
  systemctl --no-reload disable tandem.target tandem-balancer.service tandem-vrrpd.service \
    tandem-peersync.service >/dev/null 2>&1 || :
fi
exit 0
