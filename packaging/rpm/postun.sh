# %postun ($1: 0 erase, 1 upgrade). After erasing: the sockets' directory.
# rpm keeps edited configurations as .rpmsave, and this keeps /etc/tandem/tls
# (the pair's CA and this node's key) likewise: remove them by hand.
if [ "$1" -eq 0 ]; then
  rm -rf /run/tandem /run/tandem-upgrade
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
  fi
fi
exit 0
